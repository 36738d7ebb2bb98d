import { Duration, RemovalPolicy } from 'aws-cdk-lib'
import * as sqs from 'aws-cdk-lib/aws-sqs'
import { Construct } from 'constructs'
import { requireIntegerInRange } from '../validate.js'

export interface DeadLettersProps {
  /** How long a dead letter is kept for inspection: 1-14 days (SQS limits). @default 14 */
  readonly retentionDays?: number
}

/**
 * One encrypted queue for everything that failed for good: topic-rule errors, Kinesis records the router gave up
 * on, events EventBridge could not deliver, asynchronous Lambda failures. Observability alarms on its depth.
 */
export class DeadLetters extends Construct {
  readonly queue: sqs.Queue

  constructor(scope: Construct, id: string, props: DeadLettersProps = {}) {
    super(scope, id)
    const retentionDays = props.retentionDays ?? 14
    requireIntegerInRange(this.node.path, 'retentionDays', retentionDays, 1, 14)
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(retentionDays),
      removalPolicy: RemovalPolicy.RETAIN,
    })
  }
}
