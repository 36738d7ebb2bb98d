import { STREAMS, type StreamName, TELEMETRY_ROOT } from '@edgetwin/shared-schemas'

/**
 * The policy variable IoT Core replaces with the name of the thing whose certificate opened the connection
 * (AWS IoT developer guide, "Thing policy variables"). Every resource below is scoped by it.
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: an IoT policy variable, substituted by IoT Core, not by JavaScript
export const THING_NAME_VARIABLE = '${iot:Connection.Thing.ThingName}'
/**
 * The connected thing's `kind` attribute (vehicle | turbine | gateway), set when the thing is created. A thing
 * without it matches no telemetry topic: IoT Core leaves an unresolvable variable in place (AWS IoT developer guide,
 * "Thing policy variables").
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: an IoT policy variable, substituted by IoT Core, not by JavaScript
export const THING_KIND_VARIABLE = '${iot:Connection.Thing.Attributes[kind]}'

export interface DevicePolicyDocumentOptions {
  /** `arn:<partition>:iot:<region>:<account>` (tokens allowed). */
  readonly iotArnPrefix: string
  /** @default every stream in shared-schemas */
  readonly streams?: readonly StreamName[]
  /** When set, devices may also publish through Basic Ingest: `$aws/rules/<ruleName>/<topic>`. @default - none */
  readonly basicIngestRuleName?: string
}

/**
 * Least-privilege device policy: connect only as its own thing name (client id = thing name, certificate attached
 * to that thing), publish only its own telemetry topics under its own kind (the thing's `kind` attribute), and use
 * only its own reserved IoT Jobs topics.
 * Telemetry topics are enumerated (kind x stream) rather than matched with `*`, because `*` in an IoT policy
 * resource also matches `/` and would let a device reach deeper topic levels.
 */
export function devicePolicyDocument(options: DevicePolicyDocumentOptions) {
  const streams = options.streams ?? STREAMS
  const topic = (name: string) => `${options.iotArnPrefix}:topic/${name}`
  const topicFilter = (name: string) => `${options.iotArnPrefix}:topicfilter/${name}`
  const telemetry = streams.map((stream) => `${TELEMETRY_ROOT}/${THING_KIND_VARIABLE}/${THING_NAME_VARIABLE}/${stream}`)
  const publishTopics = [
    ...telemetry,
    ...(options.basicIngestRuleName ? telemetry.map((t) => `$aws/rules/${options.basicIngestRuleName}/${t}`) : []),
  ]
  // Jobs device MQTT API: the device publishes get, start-next and <jobId>/get|update requests and receives the
  // replies and notifications, all under its own $aws/things/<thingName>/jobs/ prefix.
  const jobs = `$aws/things/${THING_NAME_VARIABLE}/jobs`
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ConnectAsOwnThing',
        Effect: 'Allow',
        Action: 'iot:Connect',
        Resource: `${options.iotArnPrefix}:client/${THING_NAME_VARIABLE}`,
        Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
      },
      {
        Sid: 'PublishOwnTelemetryAndJobRequests',
        Effect: 'Allow',
        Action: 'iot:Publish',
        Resource: [...publishTopics.map(topic), topic(`${jobs}/*`)],
      },
      {
        Sid: 'SubscribeOwnJobs',
        Effect: 'Allow',
        Action: 'iot:Subscribe',
        Resource: [topicFilter(`${jobs}/*`)],
      },
      {
        Sid: 'ReceiveOwnJobs',
        Effect: 'Allow',
        Action: 'iot:Receive',
        Resource: [topic(`${jobs}/*`)],
      },
    ],
  }
}
