import { Aspects, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib'
import * as ec2 from 'aws-cdk-lib/aws-ec2'
import * as iam from 'aws-cdk-lib/aws-iam'
import type { Construct } from 'constructs'
import { DeadLetters } from './constructs/dead-letters.js'
import { FleetProvisioning } from './constructs/fleet-provisioning.js'
import { Ingest } from './constructs/ingest.js'
import { DataLake } from './constructs/lake.js'
import { FleetLocation } from './constructs/location.js'
import { MaintenanceTable } from './constructs/maintenance.js'
import { Observability } from './constructs/observability.js'
import { PositionEvents } from './constructs/position-events.js'
import { type TimeSeriesEngine, TurbineTimeSeries } from './constructs/time-series.js'
import { TurbineTwin } from './constructs/twin.js'
import { HelperLogRetention } from './helper-log-retention.js'
import type { NamedQuerySpec } from './named-queries.js'
import type { LambdaRole } from './paths.js'
import { requireIntegerInRange } from './validate.js'

export interface EdgetwinStackProps extends StackProps {
  /** Absolute paths of the four handlers. */
  readonly entries: Readonly<Record<LambdaRole, string>>
  /** Build context of the dispatch server image (the repository root). */
  readonly imageDirectory: string
  /** @default 'Dockerfile.openfast' */
  readonly imageFile?: string
  /** @default IMAGE_ASSET_EXCLUDES */
  readonly imageExcludes?: readonly string[]
  /** GeoJSON zone for the geofence collection. @default - no geofence */
  readonly zone?: unknown
  /** @default [] */
  readonly namedQueries?: readonly NamedQuerySpec[]
  /**
   * Timestream for InfluxDB: Timestream for LiveAnalytics is closed to new customers since 2025-06-20; choose
   * 'timestream' only in an account that already has it. @default 'influxdb'
   */
  readonly timeSeries?: TimeSeriesEngine
  /** @default false */
  readonly basicIngest?: boolean
  /** NAT gateways of the VPC (the Fargate tasks and twin functions reach AWS APIs through them). @default 1 */
  readonly natGateways?: number
  /** HTTPS for the dispatch ALB: an ACM certificate ARN and the name it covers. @default - HTTP inside the VPC */
  readonly dispatchCertificateArn?: string
  readonly dispatchDomainName?: string
  /** Thing names the twin may create jobs for (IAM resource pattern). @default 'turbine-*' */
  readonly turbineThingNames?: string
}

/** Everything the embedded default runs, on managed services (DESIGN.md, "Where it runs"). */
export class EdgetwinStack extends Stack {
  readonly ingest: Ingest
  readonly location: FleetLocation
  readonly lake: DataLake
  readonly maintenance: MaintenanceTable
  readonly timeSeries: TurbineTimeSeries
  readonly events: PositionEvents
  readonly twin: TurbineTwin
  readonly provisioning: FleetProvisioning
  readonly observability: Observability

  constructor(scope: Construct, id: string, props: EdgetwinStackProps) {
    super(scope, id, props)
    const natGateways = props.natGateways ?? 1
    requireIntegerInRange(this.node.path, 'natGateways', natGateways, 0, 3)
    const vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2, natGateways })
    const deadLetters = new DeadLetters(this, 'DeadLetters')
    this.location = new FleetLocation(this, 'Location', { zone: props.zone })
    this.lake = new DataLake(this, 'Lake', { namedQueries: props.namedQueries })
    this.maintenance = new MaintenanceTable(this, 'Maintenance')
    this.timeSeries = new TurbineTimeSeries(this, 'TimeSeries', { engine: props.timeSeries ?? 'influxdb', vpc })

    const useVpc = this.timeSeries.engine === 'influxdb' ? vpc : undefined

    const ts = this.timeSeries.configFragment
    this.ingest = new Ingest(this, 'Ingest', {
      routerEntry: props.entries.router,
      deadLetterQueue: deadLetters.queue,
      routerSettings: {
        TRACKER_NAME: this.location.trackerName,
        TIMESERIES_ADAPTER: ts.adapter === 'influxdb' ? 'influxdb' : 'timestream',
        ...(ts.timestream ? { TIMESTREAM_DATABASE: ts.timestream.database, TIMESTREAM_TABLE: ts.timestream.table } : {}),
        ...(ts.influx ? { INFLUX_URL: ts.influx.url, INFLUX_BUCKET: ts.influx.bucket, INFLUX_ORG: ts.influx.org } : {}),
        // By ARN, as for the detector: the handler reads the secret with GetSecretValue (grantAccess allows it).
        ...(this.timeSeries.influxAuthSecretArn ? { INFLUX_TOKEN_SECRET_ARN: this.timeSeries.influxAuthSecretArn } : {}),
        DELIVERY_STREAM_NAME: this.lake.archive.deliveryStreamName,
        DEAD_LETTER_BUCKET: deadLetters.bucket.bucketName,
        DEAD_LETTER_PREFIX: deadLetters.prefix,
        LOG_LEVEL: 'info',
      },
      basicIngest: props.basicIngest,
      vpc: useVpc,
    })
    const router = this.ingest.router
    router.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['geo:BatchUpdateDevicePosition'], resources: [this.location.tracker.attrArn] }),
    )
    this.lake.archive.grantPutRecords(router)
    this.timeSeries.grantAccess(router, 'write')
    deadLetters.queue.grantSendMessages(router)
    deadLetters.bucket.grantPut(router, `${deadLetters.prefix}/*`)

    this.events = new PositionEvents(this, 'Events', {
      enrichmentEntry: props.entries.enrichment,
      bucket: this.lake.bucket,
      enrichedPrefix: this.lake.enrichedPrefix,
      maintenanceTable: this.maintenance.table,
      firehose: this.lake.positions,
      deadLetterQueue: deadLetters.queue,
    })

    this.twin = new TurbineTwin(this, 'Twin', {
      vpc,
      timeSeries: this.timeSeries,
      deadLetterQueue: deadLetters.queue,
      detectorEntry: props.entries.detector,
      postProcessorEntry: props.entries.postProcessor,
      imageDirectory: props.imageDirectory,
      imageFile: props.imageFile,
      imageExcludes: props.imageExcludes,
      // Decisions are provenance (why a turbine's controller changed): kept in the lake, not beside expiring runs.
      decisionsBucket: this.lake.bucket,
      dispatchCertificateArn: props.dispatchCertificateArn,
      dispatchDomainName: props.dispatchDomainName,
      turbineThingNames: props.turbineThingNames,
    })

    // Onboarding by claim: the template, its pre-provisioning hook and allow-list, and the claim policy.
    this.provisioning = new FleetProvisioning(this, 'Provisioning', {
      devicePolicyName: this.ingest.policy.policyName ?? 'edgetwin_device_policy',
      hookEntry: props.entries.preProvisioningHook,
    })

    this.observability = new Observability(this, 'Observability', {
      deadLetterQueue: deadLetters.queue,
      deadLetterBucket: deadLetters.bucket,
      deadLetterMetricsFilterId: deadLetters.metricsFilterId,
      router,
      stream: this.ingest.stream,
    })

    // IoT Core logs nothing until told to; this role lets it write to CloudWatch Logs when docs/deploy.md turns
    // logging on to debug a policy denial (AWS IoT developer guide, "Configure AWS IoT logging").
    const iotLoggingRole = new iam.Role(this, 'IotLoggingRole', {
      assumedBy: new iam.ServicePrincipal('iot.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSIoTLogging')],
    })

    // What docs/deploy.md reads back after a deploy (`aws cloudformation describe-stacks ... Outputs`).
    const outputs: Record<string, string> = {
      AlarmTopicArn: this.observability.alarmTopic.topicArn,
      RouterFunctionName: router.functionName,
      DetectorFunctionName: this.twin.detector.functionName,
      PostProcessorFunctionName: this.twin.postProcessor.functionName,
      LakeBucketName: this.lake.bucket.bucketName,
      DeadLetterBucketName: deadLetters.bucket.bucketName,
      DeadLetterQueueUrl: deadLetters.queue.queueUrl,
      AthenaWorkGroup: this.lake.workGroupName,
      DispatchUrl: this.twin.dispatchUrl,
      DispatchLoadBalancerDns: this.twin.service.loadBalancer.loadBalancerDnsName,
      JobSigningKeyArn: this.twin.signingKey.keyArn,
      GlueDatabase: this.lake.databaseName,
      IotLoggingRoleArn: iotLoggingRole.roleArn,
      ResultsBucketName: this.twin.resultsBucket.bucketName,
      NotificationTopicArn: this.twin.topic.topicArn,
      DevicePolicyName: this.ingest.policy.policyName ?? '',
      ThingTypeName: this.ingest.thingType.thingTypeName ?? '',
      ProvisioningTemplateName: this.provisioning.templateName,
      ClaimPolicyName: this.provisioning.claimPolicy.policyName ?? '',
      ProvisioningAllowListTable: this.provisioning.allowList.tableName,
    }
    for (const [key, value] of Object.entries(outputs)) new CfnOutput(this, key, { value })
    // The CDK's own helper functions (bucket notifications, custom resources) would log forever otherwise.
    Aspects.of(this).add(new HelperLogRetention())
  }
}
