import { Duration, RemovalPolicy } from 'aws-cdk-lib'
import * as s3 from 'aws-cdk-lib/aws-s3'
import * as sqs from 'aws-cdk-lib/aws-sqs'
import { Construct } from 'constructs'
import { requireIntegerInRange, requirePattern } from '../validate.js'

export interface DeadLettersProps {
  /** How long a queued dead letter is kept for inspection: 1-14 days (SQS limits). @default 14 */
  readonly retentionDays?: number
  /** How long the router's dead-letter objects are kept. @default 90 */
  readonly objectRetentionDays?: number
  /** Key prefix of the router's dead-letter objects (its `DEAD_LETTER_PREFIX`). @default 'dead-letters' */
  readonly prefix?: string
}

/**
 * Where everything that failed for good goes. The queue takes topic-rule errors, Kinesis records the event source
 * gave up on, undeliverable events and asynchronous Lambda failures; the bucket takes the router's own dead letters
 * (malformed or invalid messages, with the reason and the topic). Observability alarms on both.
 */
export class DeadLetters extends Construct {
  readonly queue: sqs.Queue
  readonly bucket: s3.Bucket
  readonly prefix: string
  /** The S3 request-metrics filter id of the dead-letter prefix (CloudWatch `AWS/S3` `FilterId`). */
  readonly metricsFilterId = 'dead-letters'

  constructor(scope: Construct, id: string, props: DeadLettersProps = {}) {
    super(scope, id)
    const where = this.node.path
    const retentionDays = props.retentionDays ?? 14
    const objectRetentionDays = props.objectRetentionDays ?? 90
    this.prefix = props.prefix ?? 'dead-letters'
    requireIntegerInRange(where, 'retentionDays', retentionDays, 1, 14)
    requireIntegerInRange(where, 'objectRetentionDays', objectRetentionDays, 1, 36_500)
    requirePattern(where, 'prefix', this.prefix, /^[a-z0-9][a-z0-9_-]*$/, 'a single lower-case path segment such as dead-letters')
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(retentionDays),
      removalPolicy: RemovalPolicy.RETAIN,
    })
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'expire-dead-letters', expiration: Duration.days(objectRetentionDays) }],
      // Request metrics on the prefix give CloudWatch a PutRequests count to alarm on.
      metrics: [{ id: this.metricsFilterId, prefix: `${this.prefix}/` }],
    })
  }
}
