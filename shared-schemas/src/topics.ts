import { SchemaError } from './errors.js'
import { DEVICE_KINDS, type DeviceKind, STREAMS, type StreamName, thingNameRegExp } from './ids.js'

/** Telemetry topic root, following AWS's "Designing MQTT topics for AWS IoT Core" (`dt/<app>/<context>/...`). */
export const TELEMETRY_ROOT = 'dt/edgetwin'
/** The cloud subscribes to every device's telemetry with this filter. */
export const TELEMETRY_FILTER = `${TELEMETRY_ROOT}/+/+/+`

export interface TelemetryTopic {
  readonly kind: DeviceKind
  readonly deviceId: string
  readonly stream: StreamName
}

function assertThingName(value: string, what: string): void {
  if (!thingNameRegExp.test(value)) {
    throw new SchemaError('TOPIC_INVALID', `${what} '${value.slice(0, 140)}' must match [a-zA-Z0-9:_-]{1,128}`)
  }
}

/** `dt/edgetwin/<kind>/<deviceId>/<stream>`; throws for a device id that could inject topic levels or wildcards. */
export function telemetryTopic(kind: DeviceKind, deviceId: string, stream: StreamName): string {
  if (!DEVICE_KINDS.includes(kind)) throw new SchemaError('TOPIC_INVALID', `kind '${kind}' is not one of ${DEVICE_KINDS.join(', ')}`)
  if (!STREAMS.includes(stream)) throw new SchemaError('TOPIC_INVALID', `stream '${stream}' is not one of ${STREAMS.join(', ')}`)
  assertThingName(deviceId, 'device id')
  return `${TELEMETRY_ROOT}/${kind}/${deviceId}/${stream}`
}

/** Parses a telemetry topic; returns `null` for anything that is not exactly one. */
export function parseTelemetryTopic(topic: string): TelemetryTopic | null {
  const parts = topic.split('/')
  if (parts.length !== 5 || `${parts[0]}/${parts[1]}` !== TELEMETRY_ROOT) return null
  const [, , kind, deviceId, stream] = parts as [string, string, string, string, string]
  if (!(DEVICE_KINDS as readonly string[]).includes(kind)) return null
  if (!(STREAMS as readonly string[]).includes(stream)) return null
  if (!thingNameRegExp.test(deviceId)) return null
  return { kind: kind as DeviceKind, deviceId, stream: stream as StreamName }
}

/** AWS IoT job ids: `[a-zA-Z0-9_-]{1,64}` (CreateJob API reference). */
export const JOB_ID_PATTERN = '^[a-zA-Z0-9_-]{1,64}$'
const jobIdRegExp = new RegExp(JOB_ID_PATTERN)

/**
 * The reserved AWS IoT Jobs topics of one thing (AWS IoT developer guide, "Jobs device MQTT API operations").
 * They are used unchanged so that an agent works against IoT Core as it is.
 */
export function jobsTopics(thingName: string) {
  assertThingName(thingName, 'thing name')
  const base = `$aws/things/${thingName}/jobs`
  const job = (jobId: string) => {
    if (!jobIdRegExp.test(jobId)) throw new SchemaError('TOPIC_INVALID', `job id '${jobId.slice(0, 80)}' must match [a-zA-Z0-9_-]{1,64}`)
    return `${base}/${jobId}`
  }
  return {
    base,
    notify: `${base}/notify`,
    notifyNext: `${base}/notify-next`,
    getPending: `${base}/get`,
    getPendingAccepted: `${base}/get/accepted`,
    getPendingRejected: `${base}/get/rejected`,
    startNext: `${base}/start-next`,
    startNextAccepted: `${base}/start-next/accepted`,
    startNextRejected: `${base}/start-next/rejected`,
    describe: (jobId: string) => `${job(jobId)}/get`,
    describeAccepted: (jobId: string) => `${job(jobId)}/get/accepted`,
    describeRejected: (jobId: string) => `${job(jobId)}/get/rejected`,
    update: (jobId: string) => `${job(jobId)}/update`,
    updateAccepted: (jobId: string) => `${job(jobId)}/update/accepted`,
    updateRejected: (jobId: string) => `${job(jobId)}/update/rejected`,
    /** Wildcard filter for every reply and notification of this thing. */
    all: `${base}/#`,
  } as const
}

export type JobsOperation = 'notify' | 'notify-next' | 'get' | 'start-next' | 'describe' | 'update'

export interface JobsTopic {
  readonly thingName: string
  readonly operation: JobsOperation
  readonly jobId?: string
  /** `accepted` or `rejected` for a reply, absent for a request or a notification. */
  readonly reply?: 'accepted' | 'rejected'
}

/** Parses any `$aws/things/<thingName>/jobs/...` topic; `null` if it is not one. */
export function parseJobsTopic(topic: string): JobsTopic | null {
  const parts = topic.split('/')
  if (parts.length < 5 || parts[0] !== '$aws' || parts[1] !== 'things' || parts[3] !== 'jobs') return null
  const thingName = parts[2] as string
  if (!thingNameRegExp.test(thingName)) return null
  const rest = parts.slice(4)
  const reply = (r: string | undefined): 'accepted' | 'rejected' | undefined | null =>
    r === undefined ? undefined : r === 'accepted' || r === 'rejected' ? r : null
  const [first, second, third, fourth] = rest
  if (first === 'notify' || first === 'notify-next') {
    return rest.length === 1 ? { thingName, operation: first } : null
  }
  if (first === 'get' || first === 'start-next') {
    if (rest.length > 2) return null
    const r = reply(second)
    return r === null ? null : { thingName, operation: first, ...(r ? { reply: r } : {}) }
  }
  if (first !== undefined && jobIdRegExp.test(first) && (second === 'get' || second === 'update')) {
    if (rest.length > 3 || fourth !== undefined) return null
    const r = reply(third)
    if (r === null) return null
    return { thingName, operation: second === 'get' ? 'describe' : 'update', jobId: first, ...(r ? { reply: r } : {}) }
  }
  return null
}
