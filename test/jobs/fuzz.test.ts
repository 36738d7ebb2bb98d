import { ControllerParameterStore, ControllerUpdater, TelemetryWatch } from '@edgetwin/agent'
import { AgentJobsConfig, CONTROLLER_PARAMETER_DEFAULTS, createValidator, parseConfig } from '@edgetwin/shared-schemas'
import fc from 'fast-check'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { TestTelemetry } from './support/telemetry.js'

const D = CONTROLLER_PARAMETER_DEFAULTS
const ALLOWED_KEYS = ['operation', 'version', 'parameters', 'reason', 'decisionId', 'healthGate', 'signature']
// Gains whose envelope is a positive range well below 1: negatives, zero-crossings and anything >= 1 are out.
const GAINS = ['pitchProportionalGainS', 'pitchIntegralGain', 'region2TorqueGainNmPerRpm2'] as const

const badNumber = fc.oneof(
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e308, -1e308, Number.MAX_VALUE, -0.001),
  fc.double({ min: -1e12, max: -1e-9, noNaN: true }),
  fc.double({ min: 1, max: 1e300, noNaN: true }),
)
const notANumber = fc.oneof(fc.string(), fc.constant(null), fc.boolean(), fc.array(fc.integer()), fc.object())
const gain = fc.constantFrom(...GAINS)
/** A step beyond the per-update maximum (50 % for the pitch gains, 20 % default) but inside the bounds when possible. */
const tooBigStep = fc.tuple(gain, fc.double({ min: 0.51, max: 0.99, noNaN: true }), fc.boolean()).map(([name, f, up]) => ({
  [name]: D[name] * (up ? 1 + f : 1 - f),
}))
const base = { operation: 'controller-update', version: 1, parameters: { pitchProportionalGainS: D.pitchProportionalGainS * 1.05 } }

const fuzzedDocument: fc.Arbitrary<unknown> = fc.oneof(
  // Anything at all where a document should be.
  fc.anything({ withNullPrototype: true, withBigInt: true, withBoxedValues: true }),
  fc.record({ operation: fc.string(), version: fc.integer(), parameters: fc.object() }),
  // A valid document with one poisoned parameter value.
  fc.tuple(gain, fc.oneof(badNumber, notANumber)).map(([name, value]) => ({ ...base, parameters: { [name]: value } })),
  // Steps beyond the maximum change.
  tooBigStep.map((parameters) => ({ ...base, parameters })),
  // Extra keys at the top level or among the parameters, `__proto__` included (as JSON.parse creates it).
  fc
    .tuple(
      fc.string({ minLength: 1 }).filter((k) => !ALLOWED_KEYS.includes(k)),
      fc.jsonValue(),
    )
    .map(([k, v]) =>
      JSON.parse(
        `{"operation":"controller-update","version":1,"parameters":{"pitchIntegralGain":${D.pitchIntegralGain}},${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}}`,
      ),
    ),
  fc
    .jsonValue()
    .map((v) => JSON.parse(`{"operation":"controller-update","version":1,"parameters":{"__proto__":${JSON.stringify(v) ?? 'null'}}}`)),
  fc
    .jsonValue()
    .map((v) =>
      JSON.parse(
        `{"operation":"controller-update","version":1,"__proto__":${JSON.stringify(v) ?? 'null'},"parameters":{"pitchIntegralGain":${D.pitchIntegralGain * 1.01}}}`,
      ),
    ),
  fc
    .string({ minLength: 1 })
    .filter((k) => !Object.hasOwn(D, k))
    .map((k) => ({ ...base, parameters: { [k]: 1 } })),
  // Versions that cannot be accepted.
  fc
    .oneof(fc.integer({ max: 0 }), fc.double(), fc.string())
    .filter((v) => !Number.isSafeInteger(v) || (v as number) < 1)
    .map((version) => ({ ...base, version })),
  fc.constant({ ...base, parameters: {} }),
  fc.constant({ ...base, signature: { algorithm: 'Ed25519', value: 'AAAA' } }),
)

describe('controller update fuzzing', () => {
  it('rejects 10,000 fuzzed job documents with a reason and leaves the parameters byte-identical', async () => {
    const config = parseConfig(createValidator(AgentJobsConfig), {})
    const store = new ControllerParameterStore({ path: ':memory:', initial: { ...D } })
    const watch = new TelemetryWatch(new TestTelemetry(), { historyS: 60 })
    const updater = new ControllerUpdater({ store, watch, config, logger: pino({ level: 'silent' }) })
    const dump = () => JSON.stringify(store.database().prepare('SELECT * FROM controller_revision').all())
    const before = dump()
    let n = 0
    const reasons = new Map<string, number>()
    await fc.assert(
      fc.asyncProperty(fuzzedDocument, async (document) => {
        const outcome = await updater.execute({ jobId: `fuzz-${n++}`, thingName: 't', document, reportProgress: async () => {} })
        expect(outcome.status).toBe('REJECTED')
        expect(outcome.statusDetails.reason?.length).toBeGreaterThan(0)
        const code = outcome.statusDetails.reasonCode!
        reasons.set(code, (reasons.get(code) ?? 0) + 1)
      }),
      { numRuns: 10_000, seed: 20240101 },
    )
    expect(n).toBe(10_000)
    expect(dump()).toBe(before)
    expect(JSON.stringify(store.current().parameters)).toBe(JSON.stringify(D))
    const audit = store.auditLog()
    expect(audit).toHaveLength(10_000)
    expect(audit.every((a) => a.verdict === 'REJECTED' && a.reason)).toBe(true)
    console.log('rejection codes over 10,000 fuzzed documents:', Object.fromEntries(reasons))
    store.close()
  })
})
