import * as iam from 'aws-cdk-lib/aws-iam'
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose'
import * as logs from 'aws-cdk-lib/aws-logs'
import type * as s3 from 'aws-cdk-lib/aws-s3'
import { Construct } from 'constructs'
import { requireIntegerInRange, requirePattern } from '../validate.js'

export interface PartitionedFirehoseProps {
  readonly bucket: s3.IBucket
  /** Also the `archive.deliveryStreamName` the producers use. */
  readonly deliveryStreamName: string
  /** Object key prefix, without a trailing slash: objects land under `<prefix>/<DeviceId>/<yyyy>/<MM>/<dd>/`. */
  readonly prefix: string
  /** jq path of the device id inside each record, e.g. `.detail.DeviceId`. */
  readonly deviceIdQuery: string
  /** Dynamic partitioning needs a buffer of 64-128 MiB (Firehose developer guide). @default 64 */
  readonly bufferSizeMiB?: number
  /** 0-900 s. @default 300 */
  readonly bufferIntervalS?: number
  /** Add a newline after every record (the AppendDelimiterToRecord processor): only for producers that do not. */
  readonly appendNewline: boolean
}

/**
 * Amazon Data Firehose → S3 as the reference architecture configures it: GZIP, newline-delimited records (added
 * here when the producer does not end them), and dynamic partitioning by DeviceId (extracted by a JQ metadata query).
 */
export class PartitionedFirehose extends Construct {
  readonly deliveryStream: firehose.CfnDeliveryStream
  readonly deliveryStreamName: string

  constructor(scope: Construct, id: string, props: PartitionedFirehoseProps) {
    super(scope, id)
    const where = this.node.path
    const bufferSizeMiB = props.bufferSizeMiB ?? 64
    const bufferIntervalS = props.bufferIntervalS ?? 300
    requireIntegerInRange(where, 'bufferSizeMiB', bufferSizeMiB, 64, 128)
    requireIntegerInRange(where, 'bufferIntervalS', bufferIntervalS, 0, 900)
    requirePattern(where, 'deliveryStreamName', props.deliveryStreamName, /^[a-zA-Z0-9_.-]{1,64}$/, '1-64 characters of [a-zA-Z0-9_.-]')
    requirePattern(where, 'prefix', props.prefix, /^[a-z0-9][a-z0-9_-]*$/, 'a single lower-case path segment such as positions')
    requirePattern(where, 'deviceIdQuery', props.deviceIdQuery, /^(\.[A-Za-z_][A-Za-z0-9_]*)+$/, 'a jq path such as .detail.DeviceId')
    this.deliveryStreamName = props.deliveryStreamName

    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com') })
    // What the S3 destination needs (Firehose developer guide, "Grant Firehose access to an Amazon S3 destination"):
    // no s3:DeleteObject, which grantReadWrite would add.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:AbortMultipartUpload', 's3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [props.bucket.bucketArn],
      }),
    )
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        resources: [props.bucket.arnForObjects(`${props.prefix}/*`), props.bucket.arnForObjects(`errors/${props.prefix}/*`)],
      }),
    )
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/kinesisfirehose/${props.deliveryStreamName}`,
      retention: logs.RetentionDays.ONE_MONTH,
    })
    const logStream = logGroup.addStream('S3Delivery', { logStreamName: 'S3Delivery' })
    logGroup.grantWrite(role)

    this.deliveryStream = new firehose.CfnDeliveryStream(this, 'Stream', {
      deliveryStreamName: props.deliveryStreamName,
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      extendedS3DestinationConfiguration: {
        bucketArn: props.bucket.bucketArn,
        roleArn: role.roleArn,
        compressionFormat: 'GZIP',
        prefix: `${props.prefix}/!{partitionKeyFromQuery:DeviceId}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/`,
        errorOutputPrefix: `errors/${props.prefix}/!{firehose:error-output-type}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/`,
        bufferingHints: { sizeInMBs: bufferSizeMiB, intervalInSeconds: bufferIntervalS },
        dynamicPartitioningConfiguration: { enabled: true, retryOptions: { durationInSeconds: 300 } },
        processingConfiguration: {
          enabled: true,
          processors: [
            {
              type: 'MetadataExtraction',
              parameters: [
                { parameterName: 'MetadataExtractionQuery', parameterValue: `{DeviceId:${props.deviceIdQuery}}` },
                { parameterName: 'JsonParsingEngine', parameterValue: 'JQ-1.6' },
              ],
            },
            ...(props.appendNewline
              ? [{ type: 'AppendDelimiterToRecord', parameters: [{ parameterName: 'Delimiter', parameterValue: '\\n' }] }]
              : []),
          ],
        },
        cloudWatchLoggingOptions: { enabled: true, logGroupName: logGroup.logGroupName, logStreamName: logStream.logStreamName },
      },
    })
    this.deliveryStream.node.addDependency(role)
  }

  /** Lets `grantee` put records (PutRecord, PutRecordBatch). */
  grantPutRecords(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
      resourceArns: [this.deliveryStream.attrArn],
    })
  }
}
