import { TELEMETRY_FILTER } from '@edgetwin/shared-schemas'
import { Duration, Stack } from 'aws-cdk-lib'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as iot from 'aws-cdk-lib/aws-iot'
import * as kinesis from 'aws-cdk-lib/aws-kinesis'
import * as lambda from 'aws-cdk-lib/aws-lambda'
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources'
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources'
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs'
import type * as sqs from 'aws-cdk-lib/aws-sqs'
import { Construct } from 'constructs'
import { edgetwinFunction } from '../lambda.js'
import { requireIntegerInRange, requirePattern } from '../validate.js'
import { devicePolicyDocument } from './device-policy-document.js'

export interface IngestProps {
  /** The router handler (exports `handler`; the cloud package's Kinesis entry point). */
  readonly routerEntry: string
  /** Where rule errors and records the router gave up on go. */
  readonly deadLetterQueue: sqs.IQueue
  /** @default 'edgetwin_device' */
  readonly thingTypeName?: string
  /** @default 'edgetwin_device_policy' */
  readonly policyName?: string
  /** Topic rule names allow `[a-zA-Z0-9_]` (CreateTopicRule). @default 'edgetwin_telemetry' */
  readonly ruleName?: string
  /** Let devices publish through Basic Ingest (`$aws/rules/<ruleName>/...`: no message-broker charge). @default false */
  readonly basicIngest?: boolean
  /** Provisioned shards: 1 MB/s or 1,000 records/s of writes each. @default 1 */
  readonly shardCount?: number
  /** @default 24 */
  readonly retentionHours?: number
  /** Kinesis records per router invocation: 1-10,000. @default 100 */
  readonly batchSize?: number
  /** Concurrent batches per shard: 1-10. @default 1 (keeps each device's batches in order) */
  readonly parallelizationFactor?: number
  /** Attempts before a failed record goes to the dead letters: 0-10,000. @default 5 */
  readonly retryAttempts?: number
  /** Environment for the router (its cloud configuration). @default {} */
  readonly environment?: Readonly<Record<string, string>>
  /** @default - not in a VPC */
  readonly vpc?: nodejs.NodejsFunctionProps['vpc']
}

/**
 * Devices → IoT Core → topic rule → Kinesis Data Stream → router Lambda. The partition key is the MQTT topic,
 * so each device's batches stay on one shard, in order, and the router learns the topic from `partitionKey`.
 */
export class Ingest extends Construct {
  readonly stream: kinesis.Stream
  readonly router: nodejs.NodejsFunction
  readonly topicRule: iot.CfnTopicRule
  readonly policy: iot.CfnPolicy
  readonly thingType: iot.CfnThingType
  readonly ruleName: string

  constructor(scope: Construct, id: string, props: IngestProps) {
    super(scope, id)
    const where = this.node.path
    const ruleName = props.ruleName ?? 'edgetwin_telemetry'
    const thingTypeName = props.thingTypeName ?? 'edgetwin_device'
    const policyName = props.policyName ?? 'edgetwin_device_policy'
    requirePattern(where, 'ruleName', ruleName, /^[a-zA-Z0-9_]{1,128}$/, '1-128 characters of [a-zA-Z0-9_]')
    requirePattern(where, 'thingTypeName', thingTypeName, /^[a-zA-Z0-9:_-]{1,128}$/, '1-128 characters of [a-zA-Z0-9:_-]')
    requirePattern(where, 'policyName', policyName, /^[\w+=,.@-]{1,128}$/, '1-128 characters of [\\w+=,.@-]')
    const shardCount = props.shardCount ?? 1
    const retentionHours = props.retentionHours ?? 24
    const batchSize = props.batchSize ?? 100
    const parallelizationFactor = props.parallelizationFactor ?? 1
    const retryAttempts = props.retryAttempts ?? 5
    requireIntegerInRange(where, 'shardCount', shardCount, 1, 500)
    requireIntegerInRange(where, 'retentionHours', retentionHours, 24, 8760)
    requireIntegerInRange(where, 'batchSize', batchSize, 1, 10_000)
    requireIntegerInRange(where, 'parallelizationFactor', parallelizationFactor, 1, 10)
    requireIntegerInRange(where, 'retryAttempts', retryAttempts, 0, 10_000)
    this.ruleName = ruleName

    this.thingType = new iot.CfnThingType(this, 'ThingType', {
      thingTypeName,
      thingTypeProperties: { thingTypeDescription: 'A device running the edgetwin agent', searchableAttributes: ['kind'] },
    })
    const stack = Stack.of(this)
    this.policy = new iot.CfnPolicy(this, 'DevicePolicy', {
      policyName,
      policyDocument: devicePolicyDocument({
        iotArnPrefix: `arn:${stack.partition}:iot:${stack.region}:${stack.account}`,
        basicIngestRuleName: props.basicIngest ? ruleName : undefined,
      }),
    })

    this.stream = new kinesis.Stream(this, 'Stream', {
      shardCount,
      retentionPeriod: Duration.hours(retentionHours),
      encryption: kinesis.StreamEncryption.MANAGED,
    })

    const ruleRole = new iam.Role(this, 'RuleRole', { assumedBy: new iam.ServicePrincipal('iot.amazonaws.com') })
    this.stream.grantWrite(ruleRole)
    props.deadLetterQueue.grantSendMessages(ruleRole)
    this.topicRule = new iot.CfnTopicRule(this, 'TopicRule', {
      ruleName,
      topicRulePayload: {
        // SELECT * passes the payload through unchanged, binary (gzip) included (IoT SQL, "Working with binary payloads").
        sql: `SELECT * FROM '${TELEMETRY_FILTER}'`,
        awsIotSqlVersion: '2016-03-23',
        ruleDisabled: false,
        // `${topic()}` is an IoT SQL substitution template: each record's partition key is its MQTT topic.
        // biome-ignore lint/suspicious/noTemplateCurlyInString: evaluated by the IoT rules engine
        actions: [{ kinesis: { streamName: this.stream.streamName, partitionKey: '${topic()}', roleArn: ruleRole.roleArn } }],
        errorAction: { sqs: { queueUrl: props.deadLetterQueue.queueUrl, roleArn: ruleRole.roleArn, useBase64: false } },
      },
    })

    this.router = edgetwinFunction(this, 'Router', {
      entry: props.routerEntry,
      environment: props.environment,
      vpc: props.vpc,
      timeout: Duration.seconds(120),
    })
    this.router.addEventSource(
      new eventSources.KinesisEventSource(this.stream, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize,
        maxBatchingWindow: Duration.seconds(1),
        parallelizationFactor,
        retryAttempts,
        // The router answers with batchItemFailures; Lambda then retries from the first failed record only.
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        onFailure: new SqsDlq(props.deadLetterQueue),
      }),
    )
  }
}
