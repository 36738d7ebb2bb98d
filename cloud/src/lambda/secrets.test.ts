import { describe, expect, it } from 'vitest'
import { influxCredentialsFrom, onceSucceeded, secretSource } from './secrets.js'

const ARN = 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:influx-auth-Ab12Cd'

describe('influxCredentialsFrom', () => {
  it('reads plain text as the token itself', () => {
    expect(influxCredentialsFrom(ARN, '  tok-123\n')).toEqual({ token: 'tok-123' })
  })

  it("reads Timestream for InfluxDB's auth secret as a username and password", () => {
    const secret = JSON.stringify({ username: 'edgetwin-admin', password: 'pw', organization: 'edgetwin', bucket: 'turbine_metrics' })
    expect(influxCredentialsFrom(ARN, secret)).toEqual({ username: 'edgetwin-admin', password: 'pw' })
  })

  it('prefers a token an operator added to that JSON', () => {
    expect(influxCredentialsFrom(ARN, JSON.stringify({ username: 'u', password: 'p', token: 'all-access' }))).toEqual({
      token: 'all-access',
    })
  })

  it('refuses JSON without usable credentials, naming its keys and not its values', () => {
    expect(() => influxCredentialsFrom(ARN, JSON.stringify({ username: 'u', organization: 'o' }))).toThrow(
      expect.objectContaining({ code: 'CLOUD_SECRET_INVALID', message: expect.stringContaining('its keys are username, organization') }),
    )
    try {
      influxCredentialsFrom(ARN, '{"password": "hunter2",')
      expect.unreachable()
    } catch (err) {
      expect(err).toMatchObject({ code: 'CLOUD_SECRET_INVALID' })
      expect(String((err as Error).message)).not.toContain('hunter2')
      expect((err as Error).cause).toBeUndefined()
    }
  })
})

describe('secretSource', () => {
  it('takes exactly one of a value and an ARN', () => {
    expect(secretSource('T', 'v', 'T_ARN', undefined, true)).toEqual({ value: 'v' })
    expect(secretSource('T', undefined, 'T_ARN', ARN, true)).toEqual({ secretArn: ARN })
    expect(secretSource('T', undefined, 'T_ARN', undefined, false)).toBeUndefined()
    expect(() => secretSource('T', 'v', 'T_ARN', ARN, false)).toThrow('set exactly one of T and T_ARN; received both')
    expect(() => secretSource('T', undefined, 'T_ARN', undefined, true)).toThrow('set exactly one of T and T_ARN; received neither')
  })
})

describe('onceSucceeded', () => {
  it('loads once after a success, and again after a failure', async () => {
    let calls = 0
    const load = onceSucceeded(async () => {
      calls++
      if (calls === 1) throw new Error('first fails')
      return calls
    })
    await expect(load()).rejects.toThrow('first fails')
    const [a, b] = await Promise.all([load(), load()])
    expect([a, b, await load()]).toEqual([2, 2, 2])
    expect(calls).toBe(2)
  })
})
