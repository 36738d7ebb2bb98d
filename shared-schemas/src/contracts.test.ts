import type { TSchema } from 'typebox'
import { describe, expect, it } from 'vitest'
import { parseConfig } from './config.js'
import { GatewayProfileConfig } from './config-agent-gateway.js'
import { AgentJobsConfig } from './config-agent-jobs.js'
import { CloudFleetConfig, EnrichedPositionEvent, MaintenanceRecord, ZoneGeoJson } from './config-cloud-fleet.js'
import { CloudJobsConfig } from './config-cloud-jobs.js'
import { CloudTwinConfig } from './config-cloud-twin.js'
import { DispatchConfig } from './config-dispatch.js'
import { SchemaError } from './errors.js'
import {
  CreateJobInput,
  JobsRejectedResponse,
  NextJobExecutionChanged,
  StartNextPendingJobExecutionAccepted,
  StartNextPendingJobExecutionRequest,
  UpdateJobExecutionRequest,
} from './jobs.js'
import { KinesisIngestRecord } from './routing.js'
import { DeckSimulationRequest, ExecuteRequest, UploadResultsRequest } from './simulation.js'
import { createValidator } from './validate.js'

/** The input transformer's output for one position, which the enriched object extends. */
const transformedEvent = {
  EventType: 'UPDATE',
  TrackerName: 't',
  DeviceId: 'vehicle1',
  SampleTime: '2026-10-01T08:00:00Z',
  ReceivedTime: '2026-10-01T08:00:01Z',
  Position: [-0.1, 51.5],
}

/**
 * The contracts added beside the core ones (schemas.test.ts): IoT Jobs MQTT messages, job creation, fleet
 * records, zones, the Kinesis ingest record, dispatch requests. A valid example passes; an invalid one fails with
 * an error that names the field.
 */
const cases: Array<{ name: string; schema: TSchema; valid: unknown; invalid: Array<[unknown, string]> }> = [
  {
    name: 'StartNextPendingJobExecutionRequest',
    schema: StartNextPendingJobExecutionRequest,
    valid: { clientToken: 'c-1', statusDetails: { phase: 'starting' } },
    invalid: [[{ clientToken: 'c-1', stepTimeoutInMinutes: 0 }, '/stepTimeoutInMinutes']],
  },
  {
    name: 'UpdateJobExecutionRequest',
    schema: UpdateJobExecutionRequest,
    valid: { status: 'SUCCEEDED', expectedVersion: 2, statusDetails: { verdict: 'healthy' }, clientToken: 'c-2' },
    invalid: [
      [{ status: 'DONE', expectedVersion: 2 }, '/status'],
      [{ status: 'FAILED', expectedVersion: -1 }, '/expectedVersion'],
    ],
  },
  {
    name: 'StartNextPendingJobExecutionAccepted',
    schema: StartNextPendingJobExecutionAccepted,
    valid: {
      execution: { jobId: 'job-1', status: 'IN_PROGRESS', versionNumber: 2, jobDocument: { operation: 'controller-update' } },
      timestamp: 1_790_000_000,
      clientToken: 'c-1',
    },
    invalid: [[{ execution: { jobId: 'job-1', status: 'IN_PROGRESS', versionNumber: 0 }, timestamp: 1 }, '/execution/versionNumber']],
  },
  {
    name: 'NextJobExecutionChanged',
    schema: NextJobExecutionChanged,
    valid: { execution: { jobId: 'job-2', status: 'QUEUED', versionNumber: 1 }, timestamp: 1_790_000_000 },
    invalid: [[{ execution: { jobId: 'job/2', status: 'QUEUED', versionNumber: 1 }, timestamp: 1 }, '/execution/jobId']],
  },
  {
    name: 'JobsRejectedResponse',
    schema: JobsRejectedResponse,
    valid: { code: 'VersionMismatch', message: 'expected version 3', timestamp: 1_790_000_000 },
    invalid: [[{ code: 'Oops', message: 'x', timestamp: 1 }, '/code']],
  },
  {
    name: 'CreateJobInput',
    schema: CreateJobInput,
    valid: {
      jobId: 'twin-turbine-001-v2-canary',
      targets: ['turbine-001'],
      document: { operation: 'controller-update', version: 2, parameters: { pitchIntegralGain: 0.01 } },
      abortConfig: { criteriaList: [{ failureType: 'ALL', action: 'CANCEL', thresholdPercentage: 50, minNumberOfExecutedThings: 2 }] },
      inProgressTimeoutInMinutes: 60,
    },
    invalid: [
      [{ jobId: 'j', targets: [], document: {} }, '/targets'],
      [{ jobId: 'j', targets: ['a/b'], document: {} }, '/targets/0'],
    ],
  },
  {
    name: 'MaintenanceRecord',
    schema: MaintenanceRecord,
    valid: { DeviceId: 'vehicle1', MeetsEmissionStandards: false, Mileage: 91_000, PurchaseDate: '2016-04-01' },
    invalid: [[{ DeviceId: 'vehicle1', MeetsEmissionStandards: 'no', Mileage: 1, PurchaseDate: '2016-04-01' }, '/MeetsEmissionStandards']],
  },
  {
    name: 'EnrichedPositionEvent',
    schema: EnrichedPositionEvent,
    valid: {
      ...transformedEvent,
      MeetsEmissionStandards: null,
      Mileage: null,
      PurchaseDate: null,
    },
    invalid: [
      [
        {
          ...transformedEvent,
          MeetsEmissionStandards: true,
          Mileage: -5,
          PurchaseDate: null,
        },
        '/Mileage',
      ],
    ],
  },
  {
    name: 'ZoneGeoJson',
    schema: ZoneGeoJson,
    valid: {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 0],
        ],
      ],
    },
    invalid: [[{ type: 'Point', coordinates: [0, 0] }, '/type']],
  },
  {
    name: 'KinesisIngestRecord',
    schema: KinesisIngestRecord,
    valid: { topic: 'dt/edgetwin/vehicle/vehicle1/position', payload: 'H4sIAAAAAAAA' },
    invalid: [[{ topic: '', payload: 'x' }, '/topic']],
  },
  {
    name: 'DeckSimulationRequest',
    schema: DeckSimulationRequest,
    valid: { engine: 'openfast', deckId: 'deck-1', durationS: 60 },
    invalid: [[{ engine: 'openfast', deckId: '../deck', durationS: 60 }, '/deckId']],
  },
  {
    name: 'ExecuteRequest',
    schema: ExecuteRequest,
    valid: { engine: 'rotor-model', windSpeedMps: 14, turbulenceIntensity: 0.15, seed: 2, durationS: 600 },
    invalid: [[{ engine: 'rotor-model', windSpeedMps: 99, durationS: 600 }, '/windSpeedMps']],
  },
  {
    name: 'UploadResultsRequest',
    schema: UploadResultsRequest,
    valid: { id: 'sim-1', prefix: 'results/2026' },
    invalid: [[{ id: 'sim-1', prefix: '../etc' }, '/prefix']],
  },
]

function fieldsOf(fn: () => unknown): string[] {
  try {
    fn()
  } catch (err) {
    if (err instanceof SchemaError) return err.errors.map((e) => e.path)
    throw err
  }
  return []
}

describe('contracts', () => {
  for (const c of cases) {
    describe(c.name, () => {
      const v = createValidator(c.schema, c.name)
      it('accepts a valid example', () => {
        expect(v.errors(c.valid)).toEqual([])
      })
      for (const [value, field] of c.invalid) {
        it(`rejects an invalid ${field} and names the field`, () => {
          expect(v.check(value)).toBe(false)
          const paths = fieldsOf(() => v.parse(value))
          // A union names the field through whichever branch came closest; the path must still point at it.
          expect(paths.some((p) => p === field || p.startsWith(`${field}/`) || p.endsWith(field))).toBe(true)
        })
      }
    })
  }
})

describe('configuration sections', () => {
  const sections: Array<{ name: string; schema: TSchema; valid: unknown; invalid: [unknown, string] }> = [
    { name: 'AgentJobsConfig', schema: AgentJobsConfig, valid: {}, invalid: [{ maxChangeFraction: 0 }, '/maxChangeFraction'] },
    { name: 'CloudFleetConfig', schema: CloudFleetConfig, valid: {}, invalid: [{ dailyFee: -1 }, '/dailyFee'] },
    { name: 'CloudJobsConfig', schema: CloudJobsConfig, valid: {}, invalid: [{ adapter: 'gcp' }, '/adapter'] },
    { name: 'CloudTwinConfig', schema: CloudTwinConfig, valid: {}, invalid: [{ dispatch: { seeds: [] } }, '/dispatch/seeds'] },
    { name: 'DispatchConfig', schema: DispatchConfig, valid: {}, invalid: [{ port: 70_000 }, '/port'] },
    {
      name: 'GatewayProfileConfig',
      schema: GatewayProfileConfig,
      valid: undefined,
      invalid: [{ residency: { allow: 'everything' } }, '/residency'],
    },
  ]
  for (const s of sections) {
    const v = createValidator(s.schema, s.name)
    if (s.valid !== undefined) {
      it(`${s.name}: an empty section takes every default`, () => {
        expect(() => parseConfig(v, s.valid)).not.toThrow()
      })
    }
    it(`${s.name}: a bad value is refused, naming ${s.invalid[1]}`, () => {
      const paths = fieldsOf(() => parseConfig(v, s.invalid[0]))
      expect(paths.some((p) => p.startsWith(s.invalid[1]))).toBe(true)
    })
  }
})
