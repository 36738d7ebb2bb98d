import { Duration } from 'aws-cdk-lib'
import type * as ec2 from 'aws-cdk-lib/aws-ec2'
import * as lambda from 'aws-cdk-lib/aws-lambda'
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs'
import * as logs from 'aws-cdk-lib/aws-logs'
import type { Construct } from 'constructs'
import { InfraError } from './errors.js'
import { REPO_ROOT } from './paths.js'
import { requireIntegerInRange } from './validate.js'

/**
 * Node.js 20 reached end of life in April 2026 and the AWS SDK v3 drops it: the handlers run on 22 or newer, by
 * default on the newest runtime this aws-cdk-lib knows (nodejs24.x); older runtimes are refused.
 */
export const MIN_NODE_MAJOR = 22
export const DEFAULT_RUNTIME = lambda.Runtime.NODEJS_24_X

export interface EdgetwinFunctionProps {
  /** Absolute path of a TypeScript file that exports `handler`. */
  readonly entry: string
  /** @default DEFAULT_RUNTIME (nodejs24.x) */
  readonly runtime?: lambda.Runtime
  /** @default 512 */
  readonly memorySizeMb?: number
  /** @default Duration.seconds(60) */
  readonly timeout?: Duration
  /** @default {} */
  readonly environment?: Readonly<Record<string, string>>
  /** @default - not in a VPC */
  readonly vpc?: ec2.IVpc
  /** @default Architecture.ARM_64 (cheaper per GB-second) */
  readonly architecture?: lambda.Architecture
  /** @default - no limit */
  readonly reservedConcurrentExecutions?: number
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays
}

export function assertNodeRuntime(where: string, runtime: lambda.Runtime): void {
  const match = /^nodejs(\d+)\.x$/.exec(runtime.name)
  if (runtime.family !== lambda.RuntimeFamily.NODEJS || !match || Number(match[1]) < MIN_NODE_MAJOR) {
    throw new InfraError('INFRA_INVALID_PROP', `${where}: runtime must be nodejs${MIN_NODE_MAJOR}.x or newer; received '${runtime.name}'`)
  }
}

/**
 * A handler bundled locally by esbuild (never in docker, so synth works on machines without a docker engine).
 * Workspace packages resolve to their TypeScript sources through the `@edgetwin/source` export condition, and
 * the AWS SDK v3 is left to the Lambda runtime, which ships it for nodejs18.x and newer.
 */
export function edgetwinFunction(scope: Construct, id: string, props: EdgetwinFunctionProps): nodejs.NodejsFunction {
  const where = `${scope.node.path}/${id}`
  const runtime = props.runtime ?? DEFAULT_RUNTIME
  assertNodeRuntime(where, runtime)
  requireIntegerInRange(where, 'memorySizeMb', props.memorySizeMb ?? 512, 128, 10_240)
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH })
  return new nodejs.NodejsFunction(scope, id, {
    entry: props.entry,
    handler: 'handler',
    runtime,
    architecture: props.architecture ?? lambda.Architecture.ARM_64,
    memorySize: props.memorySizeMb ?? 512,
    timeout: props.timeout ?? Duration.seconds(60),
    environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
    vpc: props.vpc,
    reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    logGroup,
    projectRoot: REPO_ROOT,
    depsLockFilePath: `${REPO_ROOT}/package-lock.json`,
    bundling: {
      forceDockerBundling: false,
      format: nodejs.OutputFormat.ESM,
      // The bundle's syntax level is the runtime's own (nodejs24.x → node24).
      target: runtime.name.replace(/^nodejs(\d+)\.x$/, 'node$1'),
      mainFields: ['module', 'main'],
      // ESM bundles still meet CommonJS dependencies that call require(); give them one.
      banner:
        "import { createRequire as __edgetwinCreateRequire } from 'node:module';const require = __edgetwinCreateRequire(import.meta.url);",
      externalModules: ['@aws-sdk/*'],
      esbuildArgs: { '--conditions': '@edgetwin/source' },
      sourceMap: true,
      minify: true,
    },
  })
}
