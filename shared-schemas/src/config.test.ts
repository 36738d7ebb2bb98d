import { describe, expect, it } from 'vitest'
import { parseConfig } from './config.js'
import { SchemaError } from './errors.js'
import { validators } from './validators.js'

describe('parseConfig', () => {
  it('fills the agent defaults and freezes the result', () => {
    const config = parseConfig(validators.AgentConfig, { deviceId: 'turbine-1', kind: 'turbine' })
    expect(config.broker.url).toBe('mqtt://127.0.0.1:1883')
    expect(config.outbox.synchronous).toBe('FULL')
    expect(config.publish.maxBatchBytes).toBeLessThanOrEqual(128 * 1024)
    expect(config.publish.inflightWindow).toBe(100)
    expect(Object.isFrozen(config.broker)).toBe(true)
  })

  it('does not modify the document it was given', () => {
    const input = { deviceId: 'turbine-1', kind: 'turbine' }
    parseConfig(validators.AgentConfig, input)
    expect(input).toEqual({ deviceId: 'turbine-1', kind: 'turbine' })
  })

  it('rejects an unknown field in a nested section, naming it', () => {
    expect(() => parseConfig(validators.AgentConfig, { deviceId: 'a', kind: 'vehicle', outbox: { synchronus: 'OFF' } })).toThrowError(
      /\/outbox\/synchronus/,
    )
  })

  it('rejects a bad value with a SchemaError naming the field', () => {
    try {
      parseConfig(validators.AgentConfig, { deviceId: 'a', kind: 'vehicle', publish: { inflightWindow: 0 } })
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(SchemaError)
      expect((err as SchemaError).errors[0]?.path).toBe('/publish/inflightWindow')
    }
  })

  it('fills the cloud defaults: local adapters everywhere', () => {
    const config = parseConfig(validators.CloudConfig, {})
    expect(config.tracker.adapter).toBe('local')
    expect(config.timeSeries.adapter).toBe('sqlite')
    expect(config.archive.adapter).toBe('local')
    expect(config.router.maxPayloadBytes).toBe(128 * 1024)
  })
})
