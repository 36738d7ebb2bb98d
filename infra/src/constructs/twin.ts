import { createValidator, TwinPostProcessorLambdaEnv } from '@edgetwin/shared-schemas'
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib'
import * as acm from 'aws-cdk-lib/aws-certificatemanager'
import type * as ec2 from 'aws-cdk-lib/aws-ec2'
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets'
import * as ecs from 'aws-cdk-lib/aws-ecs'
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns'
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2'
import * as events from 'aws-cdk-lib/aws-events'
import * as targets from 'aws-cdk-lib/aws-events-targets'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as kms from 'aws-cdk-lib/aws-kms'
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs'
import * as logs from 'aws-cdk-lib/aws-logs'
import * as s3 from 'aws-cdk-lib/aws-s3'
import * as s3n from 'aws-cdk-lib/aws-s3-notifications'
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager'
import * as sns from 'aws-cdk-lib/aws-sns'
import type * as sqs from 'aws-cdk-lib/aws-sqs'
import { Construct } from 'constructs'
import { InfraError } from '../errors.js'
import { edgetwinFunction } from '../lambda.js'
import { lambdaEnvironment } from '../lambda-env.js'
import { requireIntegerInRange, requireNumberInRange, requireOrdered, requirePattern } from '../validate.js'
import type { TurbineTimeSeries } from './time-series.js'
import { twinDetectorFunction } from './twin-detector.js'

const postProcessorEnvValidator = createValidator(TwinPostProcessorLambdaEnv)

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
  /** Where the detector keeps its decision log (one object per decision). */
  readonly decisionsBucket: s3.IBucket
  /** @default 'twin-decisions' */
  readonly decisionsPrefix?: string
  /** The detector's timeout: at most 900 s and more than its simulation budget. @default Duration.seconds(900) */
  readonly detectorTimeout?: Duration
  /** Overrides of CloudTwinConfig for the detector (TWIN_CONFIG_JSON). @default DEFAULT_DETECTOR_TWIN_CONFIG */
  readonly twinConfig?: Readonly<Record<string, unknown>>
  /** LOG_LEVEL of both functions. @default 'info' */
  readonly logLevel?: string
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
  /**
   * Only `.out` objects under this prefix reach the post-processor (the handler reads nothing else), which writes
   * `<key without .out>.metrics.json` beside each. @default 'results/'
   */
  readonly resultsPrefix?: string
  /**
   * ACM certificate of `dispatchDomainName`: the ALB then listens on HTTPS (443), so the bearer token never crosses
   * the network in the clear; you point the name at the ALB. @default - HTTP on port 80, inside the VPC only
   */
  readonly dispatchCertificateArn?: string
  /** The name the certificate covers; required with `dispatchCertificateArn`. */
  readonly dispatchDomainName?: string
  /** Thing names the detector may create jobs for (IAM resource pattern). @default 'turbine-*' */
  readonly turbineThingNames?: string
  /** Retention of the dispatch containers' logs. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays
}

/**
 * The digital-twin loop on AWS: the dispatch server (OpenFAST image) on Fargate behind an ALB with target-tracking
 * scaling; the detector on a schedule (it notifies on SNS and creates the IoT jobs); the post-processor on result
 * objects; an SNS topic.
 */
export class TurbineTwin extends Construct {
  readonly service: ecsPatterns.ApplicationLoadBalancedFargateService
  readonly detector: nodejs.NodejsFunction
  readonly postProcessor: nodejs.NodejsFunction
  readonly topic: sns.Topic
  readonly resultsBucket: s3.Bucket
  readonly tokenSecret: secretsmanager.Secret
  /** Signs job documents (ECDSA_SHA_256); only the detector's role may use it to sign. */
  readonly signingKey: kms.Key
  /** `http://<ALB>` or `https://<dispatchDomainName>`. */
  readonly dispatchUrl: string

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
    const resultsPrefix = props.resultsPrefix ?? 'results/'
    requirePattern(where, 'resultsPrefix', resultsPrefix, /^([a-zA-Z0-9_.-]+\/)+$/, "a key prefix ending in '/'")
    const https = props.dispatchCertificateArn !== undefined
    if (https !== (props.dispatchDomainName !== undefined)) {
      throw new InfraError(
        'INFRA_INVALID_PROP',
        `${where}: dispatchCertificateArn and dispatchDomainName go together; received ${https ? 'only the certificate' : 'only the domain name'}`,
      )
    }
    if (props.dispatchDomainName !== undefined) {
      requirePattern(
        where,
        'dispatchDomainName',
        props.dispatchDomainName,
        /^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$/,
        'a DNS name such as dispatch.example.com',
      )
    }

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
    const logGroup = new logs.LogGroup(this, 'DispatchLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
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
      // The image is built for linux/amd64 (above): the task must run there, whatever machine built it.
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
      ...(https
        ? {
            protocol: elbv2.ApplicationProtocol.HTTPS,
            certificate: acm.Certificate.fromCertificateArn(this, 'DispatchCertificate', props.dispatchCertificateArn as string),
            sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
          }
        : {}),
      // A deployment must not stop tasks that are running simulations: start new ones first.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      taskImageOptions: {
        image: ecs.ContainerImage.fromDockerImageAsset(image),
        containerPort,
        environment: { EDGETWIN_RESULTS_BUCKET: this.resultsBucket.bucketName, PORT: String(containerPort) },
        secrets: { [tokenEnvName]: ecs.Secret.fromSecretsManager(this.tokenSecret) },
        logDriver: ecs.LogDrivers.awsLogs({ streamPrefix: 'dispatch', logGroup }),
      },
    })
    this.service.targetGroup.configureHealthCheck({ path: '/healthz', healthyHttpCodes: '200' })
    // The server puts results under the prefix and reads them back; it never deletes from the bucket.
    this.resultsBucket.grantPut(this.service.taskDefinition.taskRole, `${resultsPrefix}*`)
    this.resultsBucket.grantRead(this.service.taskDefinition.taskRole, `${resultsPrefix}*`)
    this.dispatchUrl = https ? `https://${props.dispatchDomainName}` : `http://${this.service.loadBalancer.loadBalancerDnsName}`

    // ECDSA P-256 in KMS (ECDSA_SHA_256): the private key never leaves KMS; devices pin its public key (GetPublicKey).
    this.signingKey = new kms.Key(this, 'JobSigningKey', {
      description: 'Signs edgetwin controller-update job documents (ECDSA_SHA_256)',
      keySpec: kms.KeySpec.ECC_NIST_P256,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      removalPolicy: RemovalPolicy.RETAIN,
      alias: `${Stack.of(this).stackName}-job-signing`,
    })
    const scaling = this.service.service.autoScaleTaskCount({ minCapacity: minTasks, maxCapacity: maxTasks })
    // Simulations are CPU-bound: scale on CPU, slowly in (a run in progress must not lose its task).
    scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: targetCpuPercent,
      scaleInCooldown: Duration.minutes(10),
      scaleOutCooldown: Duration.minutes(1),
    })

    this.detector = twinDetectorFunction(this, 'Detector', {
      entry: props.detectorEntry,
      vpc: props.vpc,
      timeSeries: props.timeSeries,
      dispatchUrl: this.dispatchUrl,
      dispatch: this.service.loadBalancer,
      dispatchPort: https ? 443 : 80,
      signingKey: this.signingKey,
      turbineThingNames: props.turbineThingNames,
      tokenSecret: this.tokenSecret,
      topic: this.topic,
      decisionsBucket: props.decisionsBucket,
      decisionsPrefix: props.decisionsPrefix,
      timeout: props.detectorTimeout,
      twinConfig: props.twinConfig,
      logLevel: props.logLevel,
    })
    const detectorRole = this.detector.role as iam.IRole
    // Only the detector signs: the key policy denies kms:Sign to any other principal, whatever IAM grants it.
    this.signingKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTheDetectorSigns',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:Sign'],
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': detectorRole.roleArn } },
      }),
    )
    new events.Rule(this, 'DetectorSchedule', {
      description: 'Runs the turbine anomaly detector',
      schedule: events.Schedule.rate(detectorInterval),
      targets: [new targets.LambdaFunction(this.detector, { deadLetterQueue: props.deadLetterQueue, retryAttempts: 2 })],
    })

    // S3 only: no VPC, no dispatch API, no time series, no jobs.
    this.postProcessor = edgetwinFunction(this, 'PostProcessor', {
      entry: props.postProcessorEntry,
      environment: lambdaEnvironment(`${where}/PostProcessor`, postProcessorEnvValidator, { LOG_LEVEL: props.logLevel ?? 'info' }),
      timeout: Duration.minutes(5),
      memorySizeMb: 1024,
    })
    this.postProcessor.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.resultsBucket.arnForObjects(`${resultsPrefix}*.out`)] }),
    )
    this.postProcessor.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.resultsBucket.arnForObjects(`${resultsPrefix}*.metrics.json`)],
      }),
    )
    this.resultsBucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(this.postProcessor), {
      prefix: resultsPrefix,
      suffix: '.out',
    })
  }
}
