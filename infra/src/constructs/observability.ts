import { Duration, RemovalPolicy } from 'aws-cdk-lib'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions'
import * as iam from 'aws-cdk-lib/aws-iam'
import type * as kinesis from 'aws-cdk-lib/aws-kinesis'
import * as kms from 'aws-cdk-lib/aws-kms'
import type * as lambda from 'aws-cdk-lib/aws-lambda'
import type * as s3 from 'aws-cdk-lib/aws-s3'
import * as sns from 'aws-cdk-lib/aws-sns'
import type * as sqs from 'aws-cdk-lib/aws-sqs'
import { Construct } from 'constructs'
import { requireIntegerInRange } from '../validate.js'

export interface ObservabilityProps {
  readonly deadLetterQueue: sqs.IQueue
  /** The bucket the router writes its dead letters to, with request metrics on their prefix. */
  readonly deadLetterBucket: s3.IBucket
  readonly deadLetterMetricsFilterId: string
  readonly router: lambda.IFunction
  readonly stream: kinesis.IStream
  /** Alarm when the oldest unread Kinesis record is older than this: the router is falling behind. @default 60,000 */
  readonly maxIteratorAgeMs?: number
  /** Router errors (failed invocations) per 5 minutes that raise the alarm. @default 1 */
  readonly routerErrorThreshold?: number
}

/** Alarms on dead letters, router errors and Kinesis iterator age, sent to one encrypted SNS topic. */
export class Observability extends Construct {
  readonly alarmTopic: sns.Topic
  /** The alarm topic's key: customer managed, so that CloudWatch may use it. */
  readonly alarmTopicKey: kms.Key
  readonly deadLettersAlarm: cloudwatch.Alarm
  readonly routerDeadLettersAlarm: cloudwatch.Alarm
  readonly routerErrorsAlarm: cloudwatch.Alarm
  readonly iteratorAgeAlarm: cloudwatch.Alarm

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id)
    const where = this.node.path
    const maxIteratorAgeMs = props.maxIteratorAgeMs ?? 60_000
    const routerErrorThreshold = props.routerErrorThreshold ?? 1
    requireIntegerInRange(where, 'maxIteratorAgeMs', maxIteratorAgeMs, 1000, 7 * 24 * 3_600_000)
    requireIntegerInRange(where, 'routerErrorThreshold', routerErrorThreshold, 1, 1_000_000)

    // CloudWatch alarms cannot publish to a topic encrypted with the AWS managed key alias/aws/sns, whose policy
    // cannot be changed; a customer managed key whose policy lets cloudwatch.amazonaws.com use it (SNS developer
    // guide, "Enable compatibility between event sources from AWS services and encrypted topics").
    this.alarmTopicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: 'edgetwin alarm topic (CloudWatch alarms publish to it)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    })
    this.alarmTopicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    )
    this.alarmTopic = new sns.Topic(this, 'Alarms', {
      displayName: 'edgetwin alarms',
      masterKey: this.alarmTopicKey,
      enforceSSL: true,
    })
    const notify = new actions.SnsAction(this.alarmTopic)

    this.deadLettersAlarm = props.deadLetterQueue
      .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' })
      .createAlarm(this, 'DeadLetters', {
        alarmDescription: 'Messages reached the dead letters: rule errors, records the router gave up on, undeliverable events',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      })
    // The router's own dead letters (malformed or invalid messages) are S3 objects: count their PUTs.
    this.routerDeadLettersAlarm = new cloudwatch.Metric({
      namespace: 'AWS/S3',
      metricName: 'PutRequests',
      dimensionsMap: { BucketName: props.deadLetterBucket.bucketName, FilterId: props.deadLetterMetricsFilterId },
      statistic: 'Sum',
      period: Duration.minutes(5),
    }).createAlarm(this, 'RouterDeadLetters', {
      alarmDescription: 'The router wrote dead letters: messages it could not decode or validate (see the objects for reason and topic)',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    })
    this.routerErrorsAlarm = props.router
      .metricErrors({ period: Duration.minutes(5), statistic: 'Sum' })
      .createAlarm(this, 'RouterErrors', {
        alarmDescription: 'The router function failed invocations (Kinesis retries them; persistent failures reach the dead letters)',
        threshold: routerErrorThreshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      })
    this.iteratorAgeAlarm = props.stream
      .metricGetRecordsIteratorAgeMilliseconds({ period: Duration.minutes(1), statistic: 'Maximum' })
      .createAlarm(this, 'IteratorAge', {
        alarmDescription: 'The router is falling behind the telemetry stream',
        threshold: maxIteratorAgeMs,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      })
    for (const alarm of [this.deadLettersAlarm, this.routerDeadLettersAlarm, this.routerErrorsAlarm, this.iteratorAgeAlarm]) {
      alarm.addAlarmAction(notify)
      alarm.addOkAction(notify)
    }
  }
}
