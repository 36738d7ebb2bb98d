import { createValidator, IOT_RULE_KINESIS_PARTITION_KEY, IOT_RULE_SQL, parseConfig, RouterLambdaEnv } from '@edgetwin/shared-schemas'
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib'
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as iot from 'aws-cdk-lib/aws-iot'
import * as kinesis from 'aws-cdk-lib/aws-kinesis'
import * as lambda from 'aws-cdk-lib/aws-lambda'
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources'
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources'
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs'
import type * as sqs from 'aws-cdk-lib/aws-sqs'
import { Construct } from 'constructs'
import { InfraError } from '../errors.js'
import { edgetwinFunction } from '../lambda.js'
import { requireIntegerInRange, requirePattern } from '../validate.js'
import { devicePolicyDocument } from './device-policy-document.js'

/**
 * What the router needs to know besides its own state tables. Fields with a schema default may be left out;
 * `LOG_LEVEL` is typed as a string here and checked by the schema.
 */
export type RouterSettings = Omit<RouterLambdaEnv, 'HWM_TABLE_NAME' | 'DEVICE_STATUS_TABLE_NAME' | 'LOG_LEVEL'> & {
  readonly LOG_LEVEL?: string
}

const routerEnvValidator = createValidator(RouterLambdaEnv)

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
  /** The router's settings (`RouterLambdaEnv` from shared-schemas) except the tables this construct creates. */
  readonly routerSettings: RouterSettings
  /** Further environment for the router. @default {} */
  readonly environment?: Readonly<Record<string, string>>
  /** @default - not in a VPC */
  readonly vpc?: nodejs.NodejsFunctionProps['vpc']
}

/**
 * Devices → IoT Core → topic rule → Kinesis Data Stream → router Lambda, and the router's own state: the
 * high-water marks per (device, stream) that drop replays, and the device status table.
 */
export class Ingest extends Construct {
  readonly stream: kinesis.Stream
  readonly router: nodejs.NodejsFunction
  readonly topicRule: iot.CfnTopicRule
  readonly policy: iot.CfnPolicy
  readonly thingType: iot.CfnThingType
  readonly ruleName: string
  /** The router's validated `RouterLambdaEnv`, as set on the function. */
  readonly routerEnvironment: Readonly<Record<string, string>>
  /** Partition key `id` (S): `<deviceId>#<stream>`, one numeric attribute per sink. */
  readonly highWaterMarks: dynamodb.Table
  /** Partition key `deviceId` (S): the latest health report. */
  readonly deviceStatus: dynamodb.Table

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
        // Defined once in shared-schemas with the router that reads it: `{topic, payload: base64}` per message,
        // because payloads may be gzip (binary) and the router checks each envelope against its topic.
        sql: IOT_RULE_SQL,
        awsIotSqlVersion: '2016-03-23',
        ruleDisabled: false,
        // Partition key = the MQTT topic: one (device, stream) stays on one shard, in order.
        actions: [
          { kinesis: { streamName: this.stream.streamName, partitionKey: IOT_RULE_KINESIS_PARTITION_KEY, roleArn: ruleRole.roleArn } },
        ],
        errorAction: { sqs: { queueUrl: props.deadLetterQueue.queueUrl, roleArn: ruleRole.roleArn, useBase64: false } },
      },
    })

    const stateTable = (tableId: string, partitionKey: string) =>
      new dynamodb.Table(this, tableId, {
        partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        removalPolicy: RemovalPolicy.RETAIN,
      })
    this.highWaterMarks = stateTable('HighWaterMarks', 'id')
    this.deviceStatus = stateTable('DeviceStatus', 'deviceId')

    // The router parses its environment with this schema at cold start; checking it here fails the synth instead.
    let routerEnv: Readonly<RouterLambdaEnv>
    try {
      routerEnv = parseConfig(routerEnvValidator, {
        ...props.routerSettings,
        HWM_TABLE_NAME: this.highWaterMarks.tableName,
        DEVICE_STATUS_TABLE_NAME: this.deviceStatus.tableName,
      })
    } catch (err) {
      throw new InfraError('INFRA_INVALID_PROP', `${where}: routerSettings: ${(err as Error).message}`, { cause: err })
    }
    this.routerEnvironment = Object.fromEntries(
      Object.entries(routerEnv)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, String(v)]),
    )
    this.router = edgetwinFunction(this, 'Router', {
      entry: props.routerEntry,
      environment: { ...props.environment, ...this.routerEnvironment },
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
    this.highWaterMarks.grantReadWriteData(this.router)
    this.deviceStatus.grantReadWriteData(this.router)
  }
}
