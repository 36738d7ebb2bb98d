import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib'
import * as ec2 from 'aws-cdk-lib/aws-ec2'
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets'
import * as ecs from 'aws-cdk-lib/aws-ecs'
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns'
import * as events from 'aws-cdk-lib/aws-events'
import * as targets from 'aws-cdk-lib/aws-events-targets'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as kms from 'aws-cdk-lib/aws-kms'
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs'
import * as s3 from 'aws-cdk-lib/aws-s3'
import * as s3n from 'aws-cdk-lib/aws-s3-notifications'
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager'
import * as sns from 'aws-cdk-lib/aws-sns'
import type * as sqs from 'aws-cdk-lib/aws-sqs'
import { Construct } from 'constructs'
import { edgetwinFunction } from '../lambda.js'
import { requireIntegerInRange, requireNumberInRange, requireOrdered, requirePattern } from '../validate.js'
import type { TurbineTimeSeries } from './time-series.js'

/** Kept out of the image asset's hash and build context: they are large, generated or secret. */
export const IMAGE_ASSET_EXCLUDES = [
  '**/node_modules',
  '.git',
  '.tmp',
  '**/cdk.out',
  '**/dist',
  '**/.edgetwin',
  '**/*.tsbuildinfo',
  '**/coverage',
] as const

export interface TurbineTwinProps {
  readonly vpc: ec2.IVpc
  readonly timeSeries: TurbineTimeSeries
  readonly deadLetterQueue: sqs.IQueue
  readonly detectorEntry: string
  readonly postProcessorEntry: string
  /** Build context of the dispatch server image. */
  readonly imageDirectory: string
  /** @default 'Dockerfile.openfast' */
  readonly imageFile?: string
  /** Paths of the build context left out of the image hash and build. @default IMAGE_ASSET_EXCLUDES */
  readonly imageExcludes?: readonly string[]
  /** Environment for both functions (their cloud configuration). @default {} */
  readonly environment?: Readonly<Record<string, string>>
  /** @default Duration.minutes(10) (the detector's statistics are 10-minute windows) */
  readonly detectorInterval?: Duration
  /** @default 1 */
  readonly minTasks?: number
  /** @default 10 */
  readonly maxTasks?: number
  /** Target average CPU of the simulation tasks, 10-90 %. @default 60 */
  readonly targetCpuPercent?: number
  /** Fargate task size: 1,024 per vCPU. @default 2048 */
  readonly taskCpu?: number
  /** @default 4096 */
  readonly taskMemoryMiB?: number
  /** Serve the API to the internet (only behind a certificate you add); otherwise inside the VPC. @default false */
  readonly publicLoadBalancer?: boolean
  /** Container port of the dispatch server. @default 8080 */
  readonly containerPort?: number
  /** Name of the environment variable that carries the bearer token into the server. @default 'EDGETWIN_DISPATCH_TOKEN' */
  readonly tokenEnvName?: string
  /** Only objects under this prefix and with this suffix reach the post-processor. @default 'results/' and '.out' */
  readonly resultsPrefix?: string
  readonly resultsSuffix?: string
}

/**
 * The digital-twin loop on AWS: the dispatch server (OpenFAST image) on Fargate behind an ALB with target-tracking
 * scaling; the detector on a schedule; the post-processor on result objects; an SNS topic; IoT job creation.
 */
export class TurbineTwin extends Construct {
  readonly service: ecsPatterns.ApplicationLoadBalancedFargateService
  readonly detector: nodejs.NodejsFunction
  readonly postProcessor: nodejs.NodejsFunction
  readonly topic: sns.Topic
  readonly resultsBucket: s3.Bucket
  readonly tokenSecret: secretsmanager.Secret

  constructor(scope: Construct, id: string, props: TurbineTwinProps) {
    super(scope, id)
    const where = this.node.path
    const minTasks = props.minTasks ?? 1
    const maxTasks = props.maxTasks ?? 10
    const targetCpuPercent = props.targetCpuPercent ?? 60
    const taskCpu = props.taskCpu ?? 2048
    const taskMemoryMiB = props.taskMemoryMiB ?? 4096
    const containerPort = props.containerPort ?? 8080
    const tokenEnvName = props.tokenEnvName ?? 'EDGETWIN_DISPATCH_TOKEN'
    const detectorInterval = props.detectorInterval ?? Duration.minutes(10)
    requireIntegerInRange(where, 'minTasks', minTasks, 0, 100)
    requireIntegerInRange(where, 'maxTasks', maxTasks, 1, 100)
    requireOrdered(where, 'minTasks', minTasks, 'maxTasks', maxTasks)
    requireNumberInRange(where, 'targetCpuPercent', targetCpuPercent, 10, 90)
    requireIntegerInRange(where, 'containerPort', containerPort, 1, 65_535)
    requireIntegerInRange(where, 'detectorInterval (minutes)', detectorInterval.toMinutes(), 1, 1440)
    requirePattern(where, 'tokenEnvName', tokenEnvName, /^[A-Z_][A-Z0-9_]*$/, 'an environment variable name [A-Z_][A-Z0-9_]*')

    this.topic = new sns.Topic(this, 'Notifications', {
      displayName: 'edgetwin turbine anomalies and decisions',
      masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
      enforceSSL: true,
    })
    this.resultsBucket = new s3.Bucket(this, 'Results', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'expire-runs', expiration: Duration.days(180), abortIncompleteMultipartUploadAfter: Duration.days(7) }],
    })
    this.tokenSecret = new secretsmanager.Secret(this, 'DispatchToken', {
      description: 'Bearer token of the edgetwin dispatch server',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    })

    const image = new ecrAssets.DockerImageAsset(this, 'Image', {
      directory: props.imageDirectory,
      file: props.imageFile ?? 'Dockerfile.openfast',
      exclude: [...(props.imageExcludes ?? IMAGE_ASSET_EXCLUDES)],
      platform: ecrAssets.Platform.LINUX_AMD64,
    })
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc: props.vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED })
    this.service = new ecsPatterns.ApplicationLoadBalancedFargateService(this, 'Dispatch', {
      cluster,
      cpu: taskCpu,
      memoryLimitMiB: taskMemoryMiB,
      desiredCount: Math.max(minTasks, 1),
      publicLoadBalancer: props.publicLoadBalancer ?? false,
      // Only the twin functions reach the API (allowed below); nothing else in or out of the VPC.
      openListener: false,
      circuitBreaker: { rollback: true },
      // A deployment must not stop tasks that are running simulations: start new ones first.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      taskImageOptions: {
        image: ecs.ContainerImage.fromDockerImageAsset(image),
        containerPort,
        environment: { EDGETWIN_RESULTS_BUCKET: this.resultsBucket.bucketName, PORT: String(containerPort) },
        secrets: { [tokenEnvName]: ecs.Secret.fromSecretsManager(this.tokenSecret) },
      },
    })
    this.service.targetGroup.configureHealthCheck({ path: '/healthz', healthyHttpCodes: '200' })
    this.resultsBucket.grantReadWrite(this.service.taskDefinition.taskRole)
    const scaling = this.service.service.autoScaleTaskCount({ minCapacity: minTasks, maxCapacity: maxTasks })
    // Simulations are CPU-bound: scale on CPU, slowly in (a run in progress must not lose its task).
    scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: targetCpuPercent,
      scaleInCooldown: Duration.minutes(10),
      scaleOutCooldown: Duration.minutes(1),
    })

    const dispatchUrl = `http://${this.service.loadBalancer.loadBalancerDnsName}`
    const environment = {
      ...props.environment,
      EDGETWIN_DISPATCH_URL: dispatchUrl,
      EDGETWIN_DISPATCH_TOKEN_SECRET_ARN: this.tokenSecret.secretArn,
      EDGETWIN_RESULTS_BUCKET: this.resultsBucket.bucketName,
      EDGETWIN_NOTIFY_TOPIC_ARN: this.topic.topicArn,
    }
    this.detector = edgetwinFunction(this, 'Detector', {
      entry: props.detectorEntry,
      environment,
      vpc: props.vpc,
      timeout: Duration.minutes(5),
    })
    this.postProcessor = edgetwinFunction(this, 'PostProcessor', {
      entry: props.postProcessorEntry,
      environment,
      vpc: props.vpc,
      timeout: Duration.minutes(5),
      memorySizeMb: 1024,
    })
    for (const fn of [this.detector, this.postProcessor]) {
      this.topic.grantPublish(fn)
      this.tokenSecret.grantRead(fn)
      this.service.loadBalancer.connections.allowFrom(fn, ec2.Port.tcp(80))
      props.timeSeries.grantAccess(fn, 'read')
    }
    this.resultsBucket.grantRead(this.postProcessor)

    new events.Rule(this, 'DetectorSchedule', {
      description: 'Runs the turbine anomaly detector',
      schedule: events.Schedule.rate(detectorInterval),
      targets: [new targets.LambdaFunction(this.detector, { deadLetterQueue: props.deadLetterQueue, retryAttempts: 2 })],
    })
    this.resultsBucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(this.postProcessor), {
      prefix: props.resultsPrefix ?? 'results/',
      suffix: props.resultsSuffix ?? '.out',
    })

    // Roll-out: the post-processor creates staged IoT jobs for turbines and thing groups, nothing else.
    const stack = Stack.of(this)
    const iotArn = (resource: string) => `arn:${stack.partition}:iot:${stack.region}:${stack.account}:${resource}`
    this.postProcessor.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iot:CreateJob', 'iot:DescribeJob', 'iot:ListJobExecutionsForJob', 'iot:DescribeJobExecution', 'iot:CancelJob'],
        resources: [iotArn('job/*'), iotArn('thing/*'), iotArn('thinggroup/*')],
      }),
    )
    // ListJobs has no resource type in the IAM service authorization reference, so it can only be granted on `*`.
    this.postProcessor.addToRolePolicy(new iam.PolicyStatement({ actions: ['iot:ListJobs'], resources: ['*'] }))
  }
}
