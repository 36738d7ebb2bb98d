import { createValidator, EnrichmentLambdaEnv } from '@edgetwin/shared-schemas'
import { Duration } from 'aws-cdk-lib'
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb'
import * as events from 'aws-cdk-lib/aws-events'
import * as targets from 'aws-cdk-lib/aws-events-targets'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose'
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs'
import type * as s3 from 'aws-cdk-lib/aws-s3'
import type * as sqs from 'aws-cdk-lib/aws-sqs'
import { Construct } from 'constructs'
import { edgetwinFunction } from '../lambda.js'
import { lambdaEnvironment } from '../lambda-env.js'
import { requireIntegerInRange } from '../validate.js'
import type { PartitionedFirehose } from './partitioned-firehose.js'
import { ReferenceInputTransformer } from './reference-input.js'

const envValidator = createValidator(EnrichmentLambdaEnv)

/** The event pattern of Amazon Location's position events (Amazon Location developer guide, EventBridge). */
export const POSITION_EVENT_PATTERN = { source: ['aws.geo'], detailType: ['Location Device Position Event'] } as const

export interface PositionEventsProps {
  /** The enrichment handler (exports `handler`). */
  readonly enrichmentEntry: string
  /** Where the enrichment function writes one object per event. */
  readonly bucket: s3.IBucket
  /** Key prefix of the enriched objects (`<prefix>/<DeviceId>/<SampleTime>-<uuid>.json`). */
  readonly enrichedPrefix: string
  /** The vehicle maintenance table the enrichment joins. */
  readonly maintenanceTable: dynamodb.ITable
  /** The raw-event stream to the lake. */
  readonly firehose: PartitionedFirehose
  readonly deadLetterQueue: sqs.IQueue
  /** The enrichment function's LOG_LEVEL. @default 'info' */
  readonly logLevel?: string
  /** 0-185 delivery retries before an event goes to the dead letters. @default 8 */
  readonly retryAttempts?: number
}

/**
 * One EventBridge rule on the default bus, two targets: the enrichment function (through the reference input
 * transformer) and the Firehose stream that archives the raw events.
 */
export class PositionEvents extends Construct {
  readonly rule: events.Rule
  readonly enrichment: nodejs.NodejsFunction

  constructor(scope: Construct, id: string, props: PositionEventsProps) {
    super(scope, id)
    const retryAttempts = props.retryAttempts ?? 8
    requireIntegerInRange(this.node.path, 'retryAttempts', retryAttempts, 0, 185)

    // Exactly EnrichmentLambdaEnv (shared-schemas), checked here rather than at the function's first cold start.
    const environment = lambdaEnvironment(`${this.node.path}/Enrichment`, envValidator, {
      MAINTENANCE_TABLE_NAME: props.maintenanceTable.tableName,
      OBJECTS_BUCKET: props.bucket.bucketName,
      OBJECTS_PREFIX: props.enrichedPrefix,
      LOG_LEVEL: props.logLevel ?? 'info',
    })
    this.enrichment = edgetwinFunction(this, 'Enrichment', { entry: props.enrichmentEntry, environment })
    // What the handler calls and nothing more: GetItem on the maintenance table, PutObject under the prefix.
    this.enrichment.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [props.maintenanceTable.tableArn] }),
    )
    this.enrichment.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [props.bucket.arnForObjects(`${props.enrichedPrefix}/*`)] }),
    )

    this.rule = new events.Rule(this, 'Rule', {
      description: 'Amazon Location device position events to enrichment and the lake',
      eventPattern: { source: [...POSITION_EVENT_PATTERN.source], detailType: [...POSITION_EVENT_PATTERN.detailType] },
    })
    const delivery = { deadLetterQueue: props.deadLetterQueue, retryAttempts, maxEventAge: Duration.hours(24) }
    this.rule.addTarget(new targets.LambdaFunction(this.enrichment, { event: new ReferenceInputTransformer(), ...delivery }))
    const stream = firehose.DeliveryStream.fromDeliveryStreamAttributes(this, 'Stream', {
      deliveryStreamArn: props.firehose.deliveryStream.attrArn,
      deliveryStreamName: props.firehose.deliveryStreamName,
    })
    // The Firehose target takes no retry or dead-letter settings in the CDK; EventBridge then retries for 24 h.
    this.rule.addTarget(new targets.FirehoseDeliveryStream(stream))
  }
}
