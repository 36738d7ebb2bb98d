import { describe, expect, it } from 'vitest'
import { CONTROLLER_PARAMETER_DEFAULTS } from './controller.js'
import { SchemaError } from './errors.js'
import { validators } from './validators.js'

/** For every contract: a valid example, and invalid ones whose error names the offending field. */
const examples: Record<keyof typeof validators, { valid: unknown; invalid: Array<[unknown, string]> }> = {
  VehiclePosition: {
    valid: { sampleTime: '2026-10-01T08:00:00.000Z', lon: -0.1, lat: 51.5, speedMps: 8.2 },
    invalid: [
      [{ sampleTime: '2026-10-01T08:00:00Z', lon: -200, lat: 51.5 }, '/lon'],
      [{ sampleTime: 'yesterday', lon: 0, lat: 0 }, '/sampleTime'],
      [{ sampleTime: '2026-10-01T08:00:00Z', lon: 0 }, '/lat'],
      [{ sampleTime: '2026-10-01T08:00:00Z', lon: 0, lat: 0, altitude: 3 }, '/altitude'],
    ],
  },
  TurbineSample: {
    valid: {
      time: '2026-10-01T08:00:00Z',
      windSpeedMps: 12,
      rotorSpeedRpm: 12.1,
      generatorSpeedRpm: 1173.7,
      generatorPowerKw: 5000,
      generatorTorqueKnm: 43.09,
      bladePitchDeg: 3.8,
      alarms: ['overspeed'],
    },
    invalid: [
      [
        {
          time: '2026-10-01T08:00:00Z',
          windSpeedMps: -1,
          rotorSpeedRpm: 1,
          generatorSpeedRpm: 1,
          generatorPowerKw: 1,
          generatorTorqueKnm: 1,
          bladePitchDeg: 0,
          alarms: [],
        },
        '/windSpeedMps',
      ],
      [
        {
          time: '2026-10-01T08:00:00Z',
          windSpeedMps: 1,
          rotorSpeedRpm: 1,
          generatorSpeedRpm: 1,
          generatorPowerKw: 1,
          generatorTorqueKnm: 1,
          bladePitchDeg: 0,
          alarms: ['meltdown'],
        },
        '/alarms/0',
      ],
    ],
  },
  GatewayAggregate: {
    valid: {
      windowStart: '2026-10-01T08:00:00Z',
      windowEnd: '2026-10-01T08:01:00Z',
      sourceId: 'pump-7',
      metric: 'pressureBar',
      count: 60,
      mean: 2.1,
      min: 1.9,
      max: 2.4,
      p95: 2.3,
    },
    invalid: [
      [{ windowStart: '2026-10-01T08:00:00Z', windowEnd: '2026-10-01T08:01:00Z', sourceId: 'pump-7', metric: 'p', count: -1 }, '/count'],
    ],
  },
  DeviceEvent: {
    valid: { time: '2026-10-01T08:00:00Z', type: 'job.applied', severity: 'info' },
    invalid: [[{ time: '2026-10-01T08:00:00Z', type: 'Job Applied', severity: 'info' }, '/type']],
  },
  HealthReport: {
    valid: {
      time: '2026-10-01T08:00:00Z',
      deviceId: 'vehicle1',
      status: 'online',
      connection: 'connected',
      queueDepth: 0,
      queueBytes: 0,
      oldestAgeMs: null,
      inflight: 0,
      counters: { accepted: 1, published: 1, acked: 1, evicted: 0, rejected: 0, quarantined: 0, filtered: 0, reconnects: 0 },
      lastError: null,
    },
    invalid: [[{ time: '2026-10-01T08:00:00Z', deviceId: 'a/b' }, '/deviceId']],
  },
  BatchEnvelope: {
    valid: {
      deviceId: 'v1',
      kind: 'vehicle',
      stream: 'position',
      schemaVersion: 1,
      firstSeq: 1,
      lastSeq: 1,
      records: [{ seq: 1, data: {} }],
    },
    invalid: [
      [
        {
          deviceId: 'v#1',
          kind: 'vehicle',
          stream: 'position',
          schemaVersion: 1,
          firstSeq: 1,
          lastSeq: 1,
          records: [{ seq: 1, data: {} }],
        },
        '/deviceId',
      ],
      [
        { deviceId: 'v1', kind: 'boat', stream: 'position', schemaVersion: 1, firstSeq: 1, lastSeq: 1, records: [{ seq: 1, data: {} }] },
        '/kind',
      ],
      [
        { deviceId: 'v1', kind: 'vehicle', stream: 'position', schemaVersion: 2, firstSeq: 1, lastSeq: 1, records: [{ seq: 1, data: {} }] },
        '/schemaVersion',
      ],
      [{ deviceId: 'v1', kind: 'vehicle', stream: 'position', schemaVersion: 1, firstSeq: 1, lastSeq: 1, records: [] }, '/records'],
    ],
  },
  LocationDevicePositionEvent: {
    valid: {
      version: '0',
      id: 'aa11aa22-33a-4a4a-aaa5-example',
      'detail-type': 'Location Device Position Event',
      source: 'aws.geo',
      account: '123456789012',
      time: '2026-10-01T08:00:01Z',
      region: 'eu-west-2',
      resources: ['arn:aws:geo:eu-west-2:123456789012:tracker/edgetwin-tracker'],
      detail: {
        EventType: 'UPDATE',
        TrackerName: 'edgetwin-tracker',
        DeviceId: 'vehicle1',
        SampleTime: '2026-10-01T08:00:00Z',
        ReceivedTime: '2026-10-01T08:00:01Z',
        Position: [-0.1, 51.5],
      },
    },
    invalid: [[{ version: '0', source: 'aws.iot' }, '/source']],
  },
  TransformedPositionEvent: {
    valid: {
      EventType: 'UPDATE',
      TrackerName: 't',
      DeviceId: 'vehicle1',
      SampleTime: '2026-10-01T08:00:00Z',
      ReceivedTime: '2026-10-01T08:00:01Z',
      Position: [-0.1, 51.5],
    },
    invalid: [
      [
        {
          EventType: 'UPDATE',
          TrackerName: 't',
          DeviceId: 'vehicle1',
          SampleTime: '2026-10-01T08:00:00Z',
          ReceivedTime: '2026-10-01T08:00:01Z',
          Position: [51.5],
        },
        '/Position',
      ],
    ],
  },
  ControllerParameters: {
    valid: { ...CONTROLLER_PARAMETER_DEFAULTS },
    invalid: [[{ ...CONTROLLER_PARAMETER_DEFAULTS, pitchIntegralGain: 'high' }, '/pitchIntegralGain']],
  },
  ControllerParameterPatch: {
    valid: { pitchProportionalGainS: 0.02 },
    invalid: [
      [{ pitchGain: 0.02 }, '/pitchGain'],
      [{ maxGeneratorTorqueNm: 1e300 }, '/maxGeneratorTorqueNm'],
    ],
  },
  ControllerUpdateJobDocument: {
    valid: { operation: 'controller-update', version: 3, parameters: { pitchProportionalGainS: 0.02 } },
    invalid: [
      [{ operation: 'reboot', version: 3, parameters: { pitchProportionalGainS: 0.02 } }, '/operation'],
      [{ operation: 'controller-update', version: 0, parameters: { pitchProportionalGainS: 0.02 } }, '/version'],
      [{ operation: 'controller-update', version: 1, parameters: {} }, '/parameters'],
    ],
  },
  SimulationRequest: {
    valid: { engine: 'rotor-model', windSpeedMps: 14, turbulenceIntensity: 0.2, seed: 3, durationS: 600 },
    invalid: [
      [{ engine: 'fast', windSpeedMps: 14, durationS: 600 }, '/engine'],
      [{ engine: 'rotor-model', windSpeedMps: 14, durationS: 0 }, '/durationS'],
    ],
  },
  SimulationStatus: {
    valid: { id: 's1', state: 'RUNNING', progress: 0.5, engine: 'openfast', engineVersion: '4.1.2', createdAt: '2026-10-01T08:00:00Z' },
    invalid: [
      [{ id: 's1', state: 'DONE', progress: 0.5, engine: 'openfast', engineVersion: '4.1.2', createdAt: '2026-10-01T08:00:00Z' }, '/state'],
    ],
  },
  AgentConfig: {
    // Config files are checked with parseConfig (defaults first): see config.test.ts.
    valid: undefined,
    invalid: [[{ deviceId: 'turbine/1', kind: 'turbine' }, '/deviceId']],
  },
  CloudConfig: {
    valid: undefined,
    invalid: [[{ tracker: { adapter: 'google' } }, '/tracker/adapter']],
  },
}

describe('shared schemas', () => {
  for (const [name, { valid, invalid }] of Object.entries(examples)) {
    const validator = validators[name as keyof typeof validators]
    describe(name, () => {
      if (valid !== undefined) {
        it('accepts a valid example', () => {
          expect(validator.errors(valid)).toEqual([])
          expect(validator.check(valid)).toBe(true)
        })
      }
      for (const [value, field] of invalid) {
        it(`rejects an invalid ${field} and names the field`, () => {
          expect(validator.check(value)).toBe(false)
          let thrown: unknown
          try {
            validator.parse(value)
          } catch (err) {
            thrown = err
          }
          expect(thrown).toBeInstanceOf(SchemaError)
          const error = thrown as SchemaError
          expect(error.code).toBe('SCHEMA_INVALID')
          expect(error.errors.map((e) => e.path)).toContain(field)
          expect(error.message).toContain(field)
        })
      }
    })
  }
})
