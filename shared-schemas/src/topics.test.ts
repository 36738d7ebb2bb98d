import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DEVICE_KINDS, STREAMS } from './ids.js'
import { jobsTopics, parseJobsTopic, parseTelemetryTopic, telemetryTopic } from './topics.js'

const thingName = fc.stringMatching(/^[a-zA-Z0-9:_-]{1,128}$/)

describe('telemetry topics', () => {
  it('builds dt/edgetwin/<kind>/<deviceId>/<stream>', () => {
    expect(telemetryTopic('vehicle', 'vehicle1', 'position')).toBe('dt/edgetwin/vehicle/vehicle1/position')
  })

  it('round-trips every valid kind, device id and stream', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DEVICE_KINDS), thingName, fc.constantFrom(...STREAMS), (kind, deviceId, stream) => {
        expect(parseTelemetryTopic(telemetryTopic(kind, deviceId, stream))).toEqual({ kind, deviceId, stream })
      }),
    )
  })

  it.each(['a/b', 'a+', '#', '', 'x'.repeat(129), 'vehicle 1', 'ü'])('refuses device id %j that could reach a topic', (id) => {
    expect(() => telemetryTopic('vehicle', id, 'position')).toThrowError(/device id/)
  })

  it.each([
    'dt/edgetwin/vehicle/v1',
    'dt/edgetwin/vehicle/v1/position/extra',
    'dt/other/vehicle/v1/position',
    'dt/edgetwin/boat/v1/position',
    'dt/edgetwin/vehicle/v1/video',
    'dt/edgetwin/vehicle/+/position',
  ])('does not parse %s', (topic) => {
    expect(parseTelemetryTopic(topic)).toBeNull()
  })
})

describe('jobs topics', () => {
  const t = jobsTopics('turbine-1')

  it('uses the reserved AWS IoT Jobs topics unchanged', () => {
    expect(t.notifyNext).toBe('$aws/things/turbine-1/jobs/notify-next')
    expect(t.startNext).toBe('$aws/things/turbine-1/jobs/start-next')
    expect(t.startNextAccepted).toBe('$aws/things/turbine-1/jobs/start-next/accepted')
    expect(t.update('job-7')).toBe('$aws/things/turbine-1/jobs/job-7/update')
    expect(t.updateRejected('job-7')).toBe('$aws/things/turbine-1/jobs/job-7/update/rejected')
  })

  it('parses replies, requests and notifications', () => {
    expect(parseJobsTopic(t.updateAccepted('job-7'))).toEqual({
      thingName: 'turbine-1',
      operation: 'update',
      jobId: 'job-7',
      reply: 'accepted',
    })
    expect(parseJobsTopic(t.startNextRejected)).toEqual({ thingName: 'turbine-1', operation: 'start-next', reply: 'rejected' })
    expect(parseJobsTopic(t.notifyNext)).toEqual({ thingName: 'turbine-1', operation: 'notify-next' })
    expect(parseJobsTopic(t.describe('j1'))).toEqual({ thingName: 'turbine-1', operation: 'describe', jobId: 'j1' })
  })

  it.each([
    '$aws/things/turbine-1/jobs/notify-next/x',
    '$aws/things/turbine-1/jobs/job-7/update/maybe',
    '$aws/things/turbine-1/shadow/update',
    '$aws/things/tur+bine/jobs/notify-next',
    'dt/edgetwin/turbine/t1/metrics',
  ])('does not parse %s', (topic) => {
    expect(parseJobsTopic(topic)).toBeNull()
  })

  it('refuses a job id outside [a-zA-Z0-9_-]{1,64}', () => {
    expect(() => t.update('../x')).toThrowError(/job id/)
  })
})
