import { Type } from 'typebox'
import { describe, expect, it } from 'vitest'
import { SchemaError } from './errors.js'
import { createValidator } from './validate.js'

const Device = Type.Object(
  {
    kind: Type.Union([Type.Literal('vehicle'), Type.Literal('turbine'), Type.Literal('gateway')]),
    // A union that is not all literals keeps TypeBox's own wording: there is no list of values to give.
    target: Type.Optional(Type.Union([Type.Literal('all'), Type.Object({ deviceId: Type.String() })])),
    intervalS: Type.Optional(Type.Integer({ minimum: 1 })),
    name: Type.Optional(Type.String({ maxLength: 8 })),
  },
  { additionalProperties: false },
)
const device = createValidator(Device, 'Device')

function messageOf(value: unknown): string {
  try {
    device.parse(value)
  } catch (err) {
    expect(err).toBeInstanceOf(SchemaError)
    return (err as Error).message
  }
  throw new Error(`parsed ${JSON.stringify(value)} without an error`)
}

describe('validator messages', () => {
  it('says a bad literal once, with the value given and every allowed value', () => {
    expect(messageOf({ kind: 'truck' })).toBe('invalid Device: /kind: must be one of "vehicle", "turbine", "gateway", got "truck"')
    expect(device.errors({ kind: 'truck' })).toEqual([
      { path: '/kind', message: 'must be one of "vehicle", "turbine", "gateway", got "truck"' },
    ])
  })

  it('quotes the value given for a bound or a type', () => {
    expect(messageOf({ kind: 'vehicle', intervalS: 0 })).toBe('invalid Device: /intervalS: must be >= 1, got 0')
    expect(messageOf({ kind: 'vehicle', name: 42 })).toBe('invalid Device: /name: must be string, got 42')
  })

  it('shortens a long value it quotes', () => {
    const message = messageOf({ kind: 'vehicle', name: 'x'.repeat(100) })
    expect(message).toBe(`invalid Device: /name: must not have more than 8 characters, got "${'x'.repeat(56)}…`)
  })

  it('names a missing field without quoting a value that is not there', () => {
    expect(messageOf({})).toBe('invalid Device: /kind: is required')
  })

  it('does not fold a union whose branches are not all literals', () => {
    const errors = device.errors({ kind: 'vehicle', target: 'some' })
    expect(errors.some((e) => e.message.startsWith('must be one of'))).toBe(false)
    expect(errors.map((e) => e.path)).toContain('/target')
  })
})
