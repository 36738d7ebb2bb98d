import { TELEMETRY_ROOT } from '@edgetwin/shared-schemas'
import { describe, expect, it } from 'vitest'
import { devicePolicyDocument, THING_KIND_VARIABLE, THING_NAME_VARIABLE } from './constructs/device-policy-document.js'
import { isAllowed } from './iot-policy-match.js'

const PREFIX = 'arn:aws:iot:eu-west-2:123456789012'
const doc = devicePolicyDocument({ iotArnPrefix: PREFIX })
const statements = doc.Statement
const topic = (t: string) => `${PREFIX}:topic/${t}`
const truck = (name: string) => ({ name, attributes: { kind: 'vehicle' } })
const turbine = (name: string) => ({ name, attributes: { kind: 'turbine' } })

describe('device policy document', () => {
  it('scopes every resource by the thing name, with no wildcard action and no bare *', () => {
    for (const s of statements) {
      for (const action of [s.Action].flat()) expect(action).toMatch(/^iot:[A-Za-z]+$/)
      for (const resource of [s.Resource].flat()) {
        expect(resource).not.toBe('*')
        expect(resource).toContain(THING_NAME_VARIABLE)
        if (s.Sid === 'PublishOwnTelemetryAndJobRequests' && resource.includes(TELEMETRY_ROOT))
          expect(resource).toContain(THING_KIND_VARIABLE)
      }
    }
  })

  it('lets a device connect only as its own thing name, with its certificate attached', () => {
    expect(isAllowed(statements, truck('truck-1'), 'iot:Connect', `${PREFIX}:client/truck-1`)).toBe(true)
    expect(isAllowed(statements, truck('truck-1'), 'iot:Connect', `${PREFIX}:client/truck-2`)).toBe(false)
    expect(statements[0]?.Condition).toEqual({ Bool: { 'iot:Connection.Thing.IsAttached': 'true' } })
  })

  it('lets a device publish its own telemetry and nobody else’s', () => {
    expect(isAllowed(statements, truck('truck-1'), 'iot:Publish', topic(`${TELEMETRY_ROOT}/vehicle/truck-1/position`))).toBe(true)
    expect(isAllowed(statements, turbine('wt-3'), 'iot:Publish', topic(`${TELEMETRY_ROOT}/turbine/wt-3/metrics`))).toBe(true)
    expect(isAllowed(statements, truck('truck-1'), 'iot:Publish', topic(`${TELEMETRY_ROOT}/vehicle/truck-2/position`))).toBe(false)
    // The kind is the thing's attribute: a vehicle cannot publish as a turbine, and a thing without one publishes nothing.
    expect(isAllowed(statements, truck('truck-1'), 'iot:Publish', topic(`${TELEMETRY_ROOT}/turbine/truck-1/metrics`))).toBe(false)
    expect(isAllowed(statements, { name: 'truck-1' }, 'iot:Publish', topic(`${TELEMETRY_ROOT}/vehicle/truck-1/position`))).toBe(false)
    // `*` would match across levels; the topics are enumerated so deeper or unknown levels are refused.
    expect(isAllowed(statements, truck('truck-1'), 'iot:Publish', topic(`${TELEMETRY_ROOT}/vehicle/truck-1/position/x`))).toBe(false)
    expect(isAllowed(statements, truck('truck-1'), 'iot:Publish', topic(`${TELEMETRY_ROOT}/x/truck-2/truck-1/position`))).toBe(false)
    expect(isAllowed(statements, truck('truck-1'), 'iot:Publish', topic(`${TELEMETRY_ROOT}/vehicle/truck-1/secrets`))).toBe(false)
  })

  it('lets a device use only its own IoT Jobs topics', () => {
    const own = '$aws/things/truck-1/jobs'
    expect(isAllowed(statements, truck('truck-1'), 'iot:Publish', topic(`${own}/start-next`))).toBe(true)
    expect(isAllowed(statements, truck('truck-1'), 'iot:Subscribe', `${PREFIX}:topicfilter/${own}/notify-next`)).toBe(true)
    expect(isAllowed(statements, truck('truck-1'), 'iot:Receive', topic(`${own}/job-1/update/accepted`))).toBe(true)
    expect(isAllowed(statements, truck('truck-1'), 'iot:Subscribe', `${PREFIX}:topicfilter/$aws/things/truck-2/jobs/notify-next`)).toBe(
      false,
    )
    expect(isAllowed(statements, truck('truck-1'), 'iot:Receive', topic('$aws/things/truck-2/jobs/notify'))).toBe(false)
    expect(
      isAllowed(statements, truck('truck-1'), 'iot:Subscribe', `${PREFIX}:topicfilter/${TELEMETRY_ROOT}/vehicle/truck-2/position`),
    ).toBe(false)
  })

  it('adds the Basic Ingest topics only when asked', () => {
    const basic = devicePolicyDocument({ iotArnPrefix: PREFIX, basicIngestRuleName: 'edgetwin_telemetry' }).Statement
    const viaRule = topic(`$aws/rules/edgetwin_telemetry/${TELEMETRY_ROOT}/vehicle/truck-1/position`)
    expect(isAllowed(basic, truck('truck-1'), 'iot:Publish', viaRule)).toBe(true)
    expect(isAllowed(statements, truck('truck-1'), 'iot:Publish', viaRule)).toBe(false)
    expect(isAllowed(basic, truck('truck-2'), 'iot:Publish', viaRule)).toBe(false)
  })
})
