import { CloudTwinConfig, createValidator, parseConfig, TwinDetectorLambdaEnv } from '@edgetwin/shared-schemas'
import { Duration, Stack } from 'aws-cdk-lib'
import * as ec2 from 'aws-cdk-lib/aws-ec2'
import * as iam from 'aws-cdk-lib/aws-iam'
import type * as kms from 'aws-cdk-lib/aws-kms'
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs'
import type * as s3 from 'aws-cdk-lib/aws-s3'
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager'
import type * as sns from 'aws-cdk-lib/aws-sns'
import type { Construct } from 'constructs'
import { InfraError } from '../errors.js'
import { edgetwinFunction } from '../lambda.js'
import { lambdaEnvironment } from '../lambda-env.js'
import { requireIntegerInRange, requirePattern } from '../validate.js'
import type { TurbineTimeSeries } from './time-series.js'

/** Lambda's longest timeout (Lambda developer guide, "Configure function timeout"). */
export const LAMBDA_MAX_TIMEOUT_S = 900
/**
 * Time a tick needs besides waiting for simulations: the Timestream query, the decision log in S3, SNS and
 * CreateJob. Kept free in the detector's timeout budget.
 */
export const DETECTOR_OVERHEAD_MS = 60_000
/** Every job the twin creates is named `twin-<device>-v<n>-<stage>-<uuid8>` (cloud/src/twin/twin-loop.ts, `jobIdFor`). */
export const TWIN_JOB_ID_PREFIX = 'twin-'
/**
 * The detector's overrides of CloudTwinConfig (TWIN_CONFIG_JSON): a simulation may run 3 minutes, so the default
 * fan-out (3 seeds × 5 controllers, 4 at a time = 4 waves) fits Lambda's 900 s with the overhead to spare.
 */
export const DEFAULT_DETECTOR_TWIN_CONFIG: Readonly<Record<string, unknown>> = { dispatch: { runTimeoutMs: 180_000 } }

const envValidator = createValidator(TwinDetectorLambdaEnv)
const twinValidator = createValidator(CloudTwinConfig)

export interface TwinDetectorProps {
  /** The detector handler (exports `handler`). */
  readonly entry: string
  /** The dispatch ALB is internal: the function runs in its VPC. */
  readonly vpc: ec2.IVpc
  readonly timeSeries: TurbineTimeSeries
  /** `http://<internal ALB DNS name>`. */
  readonly dispatchUrl: string
  /** The load balancer the detector may reach on port 80. */
  readonly dispatch: ec2.IConnectable
  /** The dispatch server's bearer token (passed by ARN, fetched by the handler: never in the environment). */
  readonly tokenSecret: secretsmanager.ISecret
  readonly topic: sns.ITopic
  /** Where the decision log lives (one object per decision; the cooldown is read back from it). */
  readonly decisionsBucket: s3.IBucket
  /** @default 'twin-decisions' */
  readonly decisionsPrefix?: string
  /** At most 900 s, and more than the twin config's simulation budget. @default Duration.seconds(900) */
  readonly timeout?: Duration
  /** Overrides of CloudTwinConfig handed over as TWIN_CONFIG_JSON, validated here. @default DEFAULT_DETECTOR_TWIN_CONFIG */
  readonly twinConfig?: Readonly<Record<string, unknown>>
  /** @default 'info' */
  readonly logLevel?: string
  /** The ECC_NIST_P256 SIGN_VERIFY key that signs every job document (JOB_SIGNING_KEY_ARN); the function may only Sign. */
  readonly signingKey: kms.IKey
  /** Port of the dispatch listener (443 when it serves HTTPS). @default 80 */
  readonly dispatchPort?: number
  /**
   * Thing names the detector may create jobs for, as an IAM resource pattern. CreateJob is authorized on each
   * target thing's ARN and IoT things carry no tags, so names are what a policy can narrow by. @default 'turbine-*'
   */
  readonly turbineThingNames?: string
}

/** What one tick can spend waiting for simulations when every run times out: waves × the run timeout. */
export function simulationBudgetMs(twin: CloudTwinConfig): { runs: number; waves: number; budgetMs: number } {
  const runs = twin.dispatch.seeds.length * (1 + twin.candidates.length)
  const waves = Math.ceil(runs / twin.dispatch.maxConcurrent)
  return { runs, waves, budgetMs: waves * twin.dispatch.runTimeoutMs }
}

/** The twin config the handler builds from TWIN_CONFIG_JSON (cloud/src/lambda/build-twin-detector.ts, `twinConfig`). */
function handlerTwinConfig(where: string, overrides: Readonly<Record<string, unknown>>): CloudTwinConfig {
  const dispatch = { ...(overrides['dispatch'] as object | undefined), url: 'http://dispatch.internal' }
  try {
    return parseConfig(twinValidator, {
      ...overrides,
      enabled: true,
      dispatch,
      notifier: { type: 'sns', topicArn: 'arn:aws:sns:eu-west-2:123456789012:topic' },
    }) as CloudTwinConfig
  } catch (err) {
    throw new InfraError('INFRA_INVALID_PROP', `${where}: twinConfig: ${(err as Error).message}`, { cause: err })
  }
}

/**
 * The scheduled anomaly detector: one TwinLoop tick per invocation with exactly the environment its schema
 * (TwinDetectorLambdaEnv) asks for, and only the permissions the tick uses.
 */
export function twinDetectorFunction(scope: Construct, id: string, props: TwinDetectorProps): nodejs.NodejsFunction {
  const where = `${scope.node.path}/${id}`
  const decisionsPrefix = props.decisionsPrefix ?? 'twin-decisions'
  requirePattern(
    where,
    'decisionsPrefix',
    decisionsPrefix,
    /^[a-zA-Z0-9_.-]+(\/[a-zA-Z0-9_.-]+)*$/,
    'a key prefix without slashes at its ends',
  )
  const timeout = props.timeout ?? Duration.seconds(LAMBDA_MAX_TIMEOUT_S)
  requireIntegerInRange(where, 'timeout (seconds)', timeout.toSeconds(), 1, LAMBDA_MAX_TIMEOUT_S)
  const overrides = props.twinConfig ?? DEFAULT_DETECTOR_TWIN_CONFIG
  const twin = handlerTwinConfig(where, overrides)
  const { runs, waves, budgetMs } = simulationBudgetMs(twin)
  if (budgetMs + DETECTOR_OVERHEAD_MS > timeout.toMilliseconds()) {
    throw new InfraError(
      'INFRA_INVALID_PROP',
      `${where}: timeout must exceed ${waves} waves of ${runs} simulations × runTimeoutMs ${twin.dispatch.runTimeoutMs} ms ` +
        `+ ${DETECTOR_OVERHEAD_MS} ms = ${budgetMs + DETECTOR_OVERHEAD_MS} ms; received ${timeout.toMilliseconds()} ms ` +
        '(lower twinConfig dispatch.runTimeoutMs, seeds or candidates, or raise dispatch.maxConcurrent)',
    )
  }

  const ts = props.timeSeries.configFragment
  const environment = lambdaEnvironment(
    where,
    envValidator,
    {
      TIMESERIES_ADAPTER: ts.adapter === 'influxdb' ? 'influxdb' : 'timestream',
      TIMESTREAM_DATABASE: ts.timestream?.database,
      TIMESTREAM_TABLE: ts.timestream?.table,
      INFLUX_URL: ts.influx?.url,
      INFLUX_BUCKET: ts.influx?.bucket,
      INFLUX_ORG: ts.influx?.org,
      // Secrets go by ARN: a value (or a {{resolve:secretsmanager}} reference) would show in the Lambda console.
      INFLUX_TOKEN_SECRET_ARN: props.timeSeries.influxAuthSecretArn,
      DISPATCH_URL: props.dispatchUrl,
      DISPATCH_TOKEN_SECRET_ARN: props.tokenSecret.secretArn,
      TOPIC_ARN: props.topic.topicArn,
      DECISIONS_BUCKET: props.decisionsBucket.bucketName,
      DECISIONS_PREFIX: decisionsPrefix,
      TWIN_CONFIG_JSON: JSON.stringify(overrides),
      JOB_SIGNING_KEY_ARN: props.signingKey.keyArn,
      LOG_LEVEL: props.logLevel ?? 'info',
    },
    {
      // Ref of an AWS::SNS::Topic is the topic's ARN (CloudFormation user guide, AWS::SNS::Topic return values).
      deployTimeShapes: {
        TOPIC_ARN: 'arn:aws:sns:eu-west-2:123456789012:edgetwin-notifications',
        // Fn::GetAtt Arn of an AWS::KMS::Key (CloudFormation user guide, AWS::KMS::Key return values).
        JOB_SIGNING_KEY_ARN: 'arn:aws:kms:eu-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      },
      setByLambda: { AWS_REGION: Stack.of(scope).region },
    },
  )

  const fn = edgetwinFunction(scope, id, {
    entry: props.entry,
    environment,
    vpc: props.vpc,
    timeout,
    // The schedule (10 min) is shorter than the timeout (15 min): a second tick must wait, not simulate the same
    // turbine twice. A throttled scheduled invocation stays in Lambda's asynchronous queue and runs afterwards.
    reservedConcurrentExecutions: 1,
  })

  props.timeSeries.grantAccess(fn, 'read')
  const dispatchPort = props.dispatchPort ?? 80
  props.dispatch.connections.allowFrom(fn, ec2.Port.tcp(dispatchPort), 'twin detector to the dispatch API')
  const turbineThingNames = props.turbineThingNames ?? 'turbine-*'
  requirePattern(
    where,
    'turbineThingNames',
    turbineThingNames,
    /^[a-zA-Z0-9:_*?-]{1,128}$/,
    'a thing name pattern of [a-zA-Z0-9:_-] with * or ?',
  )
  const statements = [
    new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [props.tokenSecret.secretArn] }),
    new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [props.topic.topicArn] }),
    // The decision log: ListObjectsV2 under the prefix (the cooldown), GetObject and PutObject of its records.
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [props.decisionsBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${decisionsPrefix}/*`] } },
    }),
    new iam.PolicyStatement({
      actions: ['s3:GetObject', 's3:PutObject'],
      resources: [props.decisionsBucket.arnForObjects(`${decisionsPrefix}/*`)],
    }),
  ]
  // AwsJobsService (cloud/src/jobs): CreateJob targets thing ARNs; DescribeJob and ListJobExecutionsForJob read a
  // job back. CreateJob is authorized on the job and on each target (IAM service authorization reference, AWS IoT).
  const stack = Stack.of(scope)
  const iotArn = (resource: string) => `arn:${stack.partition}:iot:${stack.region}:${stack.account}:${resource}`
  const twinJobs = iotArn(`job/${TWIN_JOB_ID_PREFIX}*`)
  statements.push(
    new iam.PolicyStatement({ actions: ['iot:CreateJob'], resources: [twinJobs, iotArn(`thing/${turbineThingNames}`)] }),
    // Signs job documents with the key; the key policy refuses kms:Sign to every other principal (twin.ts).
    new iam.PolicyStatement({ actions: ['kms:Sign'], resources: [props.signingKey.keyArn] }),
    new iam.PolicyStatement({ actions: ['iot:DescribeJob', 'iot:ListJobExecutionsForJob'], resources: [twinJobs] }),
  )
  for (const statement of statements) fn.addToRolePolicy(statement)
  return fn
}
