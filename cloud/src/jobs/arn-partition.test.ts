import { describe, expect, it } from 'vitest'
import { arnPartition } from './arn-partition.js'

describe('arnPartition', () => {
  it('names the partition each region belongs to', () => {
    expect(arnPartition('eu-west-1')).toBe('aws')
    expect(arnPartition('us-east-1')).toBe('aws')
    expect(arnPartition('cn-north-1')).toBe('aws-cn')
    expect(arnPartition('cn-northwest-1')).toBe('aws-cn')
    expect(arnPartition('us-gov-west-1')).toBe('aws-us-gov')
    expect(arnPartition('us-gov-east-1')).toBe('aws-us-gov')
    expect(arnPartition('us-iso-east-1')).toBe('aws-iso')
    expect(arnPartition('us-isob-east-1')).toBe('aws-iso-b')
    expect(arnPartition('eusc-de-east-1')).toBe('aws-eusc')
  })
})
