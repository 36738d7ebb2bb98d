import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  CloudTwinConfig,
  createValidator,
  EnrichmentLambdaEnv,
  parseConfig,
  parseLambdaEnv,
  TwinDetectorLambdaEnv,
  TwinPostProcessorLambdaEnv,
} from '@edgetwin/shared-schemas'
import { App, type CfnElement, Duration, Stack } from 'aws-cdk-lib'
import { Template } from 'aws-cdk-lib/assertions'
import * as ec2 from 'aws-cdk-lib/aws-ec2'
import * as kms from 'aws-cdk-lib/aws-kms'
import type * as lambda from 'aws-cdk-lib/aws-lambda'
import * as s3 from 'aws-cdk-lib/aws-s3'
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager'
import * as sns from 'aws-cdk-lib/aws-sns'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TurbineTimeSeries } from './constructs/time-series.js'
import { DETECTOR_OVERHEAD_MS, LAMBDA_MAX_TIMEOUT_S, TWIN_JOB_ID_PREFIX, twinDetectorFunction } from './constructs/twin-detector.js'
import { lambdaEnvironment } from './lambda-env.js'
import { REPO_ROOT } from './paths.js'
import type { EdgetwinStack } from './stack.js'
import { FIXTURE_HANDLER, fixtureStack, flatten } from './test-support.js'

// The three functions besides the router: each gets exactly its shared-schemas environment and only the
// permissions its handler uses. Templates only (no bundling), so both variants synthesize in about a second each.

interface Statement {
  Action: string | string[]
  Resource: string | string[]
  Condition?: Record<string, Record<string, unknown>>
}
interface Synth {
  stack: EdgetwinStack
  template: Template
  cleanup: () => void
}

function synth(timeSeries: 'timestream' | 'influxdb'): Synth {
  const built = fixtureStack({ timeSeries }, { bundle: false })
  return { stack: built.stack, template: Template.fromStack(built.stack), cleanup: built.cleanup }
}

const logicalId = (s: Synth, c: { node: { defaultChild?: unknown } }) => s.stack.getLogicalId(c.node.defaultChild as CfnElement)
const propertiesOf = (s: Synth, fn: lambda.IFunction) =>
  s.template.toJSON().Resources[logicalId(s, fn)].Properties as Record<string, unknown> & {
    Environment: { Variables: Record<string, unknown> }
  }
const envOf = (s: Synth, fn: lambda.IFunction) => flatten(propertiesOf(s, fn).Environment.Variables) as Record<string, string>

/** Every statement of the inline policies attached to the function's role, rendered as text. */
function statementsOf(s: Synth, fn: lambda.IFunction): Statement[] {
  const roleId = logicalId(s, fn.role as unknown as { node: { defaultChild?: unknown } })
  return Object.values(s.template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((p) => (flatten(p.Properties.PolicyDocument) as { Statement: Statement[] }).Statement)
}

/** action → sorted resources, over all statements. */
function grants(statements: Statement[]): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const s of statements) for (const a of [s.Action].flat()) out[a] = [...(out[a] ?? []), ...[s.Resource].flat()].sort()
  return out
}

const lakeObjects = (s: Synth, key: string) => `<${logicalId(s, s.stack.lake.bucket)}.Arn>/${key}`
const resultsObjects = (s: Synth, key: string) => `<${logicalId(s, s.stack.twin.resultsBucket)}.Arn>/${key}`
const iot = (resource: string) => `arn:aws:iot:eu-west-2:123456789012:${resource}`

let ts: Synth
let influx: Synth
beforeAll(() => {
  ts = synth('timestream')
  influx = synth('influxdb')
})
afterAll(() => {
  ts?.cleanup()
  influx?.cleanup()
})

describe('environments', () => {
  it('gives the enrichment function exactly EnrichmentLambdaEnv: the maintenance table and the enriched prefix', () => {
    const env = envOf(ts, ts.stack.events.enrichment)
    expect(Object.keys(env).sort()).toEqual([
      'LOG_LEVEL',
      'MAINTENANCE_CACHE_TTL_MS',
      'MAINTENANCE_TABLE_NAME',
      'NODE_OPTIONS',
      'OBJECTS_BUCKET',
      'OBJECTS_PREFIX',
    ])
    // As the handler reads it at cold start: strings converted where the schema wants numbers, then validated.
    expect(() => parseLambdaEnv(createValidator(EnrichmentLambdaEnv), env)).not.toThrow()
    expect(env).toMatchObject({
      MAINTENANCE_TABLE_NAME: `<${logicalId(ts, ts.stack.maintenance.table)}>`,
      OBJECTS_BUCKET: `<${logicalId(ts, ts.stack.lake.bucket)}>`,
      OBJECTS_PREFIX: 'enriched',
      MAINTENANCE_CACHE_TTL_MS: '60000',
      LOG_LEVEL: 'info',
    })
  })

  it('gives the detector exactly TwinDetectorLambdaEnv, its secrets by ARN and its run timeout in TWIN_CONFIG_JSON', () => {
    const env = envOf(ts, ts.stack.twin.detector)
    expect(Object.keys(env).sort()).toEqual([
      'DECISIONS_BUCKET',
      'DECISIONS_PREFIX',
      'DISPATCH_TOKEN_SECRET_ARN',
      'DISPATCH_URL',
      'JOB_SIGNATURE_VALIDITY_S',
      'JOB_SIGNING_KEY_ARN',
      'LOG_LEVEL',
      'NODE_OPTIONS',
      'TIMESERIES_ADAPTER',
      'TIMESTREAM_DATABASE',
      'TIMESTREAM_TABLE',
      'TOPIC_ARN',
      'TWIN_CONFIG_JSON',
    ])
    expect(env).toMatchObject({
      TIMESERIES_ADAPTER: 'timestream',
      TIMESTREAM_DATABASE: 'edgetwin',
      TIMESTREAM_TABLE: 'turbine_metrics',
      DISPATCH_URL: expect.stringMatching(/^http:\/\/<.*Dispatch.*LB.*\.DNSName>$/),
      DISPATCH_TOKEN_SECRET_ARN: `<${logicalId(ts, ts.stack.twin.tokenSecret)}>`,
      JOB_SIGNING_KEY_ARN: `<${logicalId(ts, ts.stack.twin.signingKey)}.Arn>`,
      JOB_SIGNATURE_VALIDITY_S: '86400',
      TOPIC_ARN: `<${logicalId(ts, ts.stack.twin.topic)}>`,
      DECISIONS_BUCKET: `<${logicalId(ts, ts.stack.lake.bucket)}>`,
      DECISIONS_PREFIX: 'twin-decisions',
    })
    // TOPIC_ARN is the topic's Ref (its ARN at deploy time); AWS_REGION is Lambda's own.
    const atDeploy = { ...env, TOPIC_ARN: 'arn:aws:sns:eu-west-2:123456789012:t', AWS_REGION: 'eu-west-2' }
    expect(() => parseLambdaEnv(createValidator(TwinDetectorLambdaEnv), atDeploy)).not.toThrow()
    const twin = JSON.parse(env.TWIN_CONFIG_JSON as string)
    expect(twin).toEqual({ dispatch: { runTimeoutMs: 180_000 } })
    expect(parseConfig(createValidator(CloudTwinConfig), twin).dispatch.runTimeoutMs).toBe(180_000)
  })

  it('gives the post-processor exactly TwinPostProcessorLambdaEnv (its thresholds default to the controller)', () => {
    const env = envOf(ts, ts.stack.twin.postProcessor)
    expect(Object.keys(env).sort()).toEqual(['LOG_LEVEL', 'NODE_OPTIONS'])
    expect(() => parseLambdaEnv(createValidator(TwinPostProcessorLambdaEnv), env)).not.toThrow()
  })

  it('puts no secret value, secret reference or unread EDGETWIN_* variable into the three environments', () => {
    for (const s of [ts, influx]) {
      for (const fn of [s.stack.events.enrichment, s.stack.twin.detector, s.stack.twin.postProcessor]) {
        const raw = JSON.stringify(propertiesOf(s, fn).Environment)
        expect(raw).not.toContain('resolve:secretsmanager')
        expect(raw).not.toContain('SecretString')
        const keys = Object.keys(propertiesOf(s, fn).Environment.Variables)
        expect(keys.filter((k) => k.startsWith('EDGETWIN_') || k === 'DISPATCH_TOKEN' || k === 'INFLUX_TOKEN')).toEqual([])
      }
    }
  })

  it('with InfluxDB, hands the detector the instance URL, org, bucket and the auth secret by ARN', () => {
    const env = envOf(influx, influx.stack.twin.detector)
    expect(env).toMatchObject({
      TIMESERIES_ADAPTER: 'influxdb',
      INFLUX_URL: expect.stringMatching(/^https:\/\/<.*Influx.*\.Endpoint>:8086$/),
      INFLUX_ORG: 'edgetwin',
      INFLUX_BUCKET: 'turbine_metrics',
      INFLUX_TOKEN_SECRET_ARN: expect.stringMatching(/^<.*Influx.*\.InfluxAuthParametersSecretArn>$/),
    })
    expect(env.TIMESTREAM_DATABASE).toBeUndefined()
  })
})

describe('timeouts', () => {
  it("runs the detector for Lambda's 900 s, one tick at a time, above its simulation budget", () => {
    const props = propertiesOf(ts, ts.stack.twin.detector)
    expect(props.Timeout).toBe(LAMBDA_MAX_TIMEOUT_S)
    expect(props.ReservedConcurrentExecutions).toBe(1)
    expect(props.VpcConfig).toBeDefined()
    // 3 seeds × (current + 4 candidates) = 15 runs, 4 at a time = 4 waves of at most 180 s each.
    expect(4 * 180_000 + DETECTOR_OVERHEAD_MS).toBeLessThan(LAMBDA_MAX_TIMEOUT_S * 1000)
  })

  it('keeps the post-processor out of the VPC with a 5-minute timeout', () => {
    const props = propertiesOf(ts, ts.stack.twin.postProcessor)
    expect(props.Timeout).toBe(300)
    expect(props.VpcConfig).toBeUndefined()
  })
})

describe('permissions', () => {
  it('lets the enrichment function GetItem on the maintenance table and PutObject under enriched/ only', () => {
    expect(grants(statementsOf(ts, ts.stack.events.enrichment))).toEqual({
      'dynamodb:GetItem': [`<${logicalId(ts, ts.stack.maintenance.table)}.Arn>`],
      's3:PutObject': [lakeObjects(ts, 'enriched/*')],
    })
  })

  it('lets the detector read the series, keep its decision log, publish, read the token and create twin jobs', () => {
    const statements = statementsOf(ts, ts.stack.twin.detector)
    const table = 'arn:aws:timestream:eu-west-2:123456789012:database/edgetwin/table/turbine_metrics'
    expect(grants(statements)).toEqual({
      'timestream:Select': [table],
      'timestream:DescribeEndpoints': ['*'],
      'secretsmanager:GetSecretValue': [`<${logicalId(ts, ts.stack.twin.tokenSecret)}>`],
      'sns:Publish': [`<${logicalId(ts, ts.stack.twin.topic)}>`],
      's3:ListBucket': [`<${logicalId(ts, ts.stack.lake.bucket)}.Arn>`],
      's3:GetObject': [lakeObjects(ts, 'twin-decisions/*')],
      's3:PutObject': [lakeObjects(ts, 'twin-decisions/*')],
      'iot:CreateJob': [iot('job/twin-*'), iot('thing/turbine-*')],
      'kms:Sign': [`<${logicalId(ts, ts.stack.twin.signingKey)}.Arn>`],
      'iot:DescribeJob': [iot('job/twin-*')],
      'iot:ListJobExecutionsForJob': [iot('job/twin-*')],
    })
    const list = statements.find((s) => s.Action === 's3:ListBucket')
    expect(list?.Condition).toEqual({ StringLike: { 's3:prefix': ['twin-decisions/*'] } })
  })

  it('names twin jobs as the twin loop does, so job/twin-* covers every job it creates or reads', () => {
    const loop = readFileSync(join(REPO_ROOT, 'cloud', 'src', 'twin', 'twin-loop.ts'), 'utf8')
    expect(loop).toContain(`return \`${TWIN_JOB_ID_PREFIX}\${safe}-v\${version}-\${stage}-`)
  })

  it('lets the post-processor read results/*.out and write results/*.metrics.json, nothing else', () => {
    expect(grants(statementsOf(ts, ts.stack.twin.postProcessor))).toEqual({
      's3:GetObject': [resultsObjects(ts, 'results/*.out')],
      's3:PutObject': [resultsObjects(ts, 'results/*.metrics.json')],
    })
  })

  it('uses no wildcard action, and * as a resource only for DescribeEndpoints (no resource-level permission)', () => {
    for (const s of [ts, influx]) {
      for (const fn of [s.stack.events.enrichment, s.stack.twin.detector, s.stack.twin.postProcessor]) {
        for (const st of statementsOf(s, fn)) {
          for (const action of [st.Action].flat()) expect(action).not.toContain('*')
          if ([st.Resource].flat().includes('*')) expect(st.Action).toBe('timestream:DescribeEndpoints')
        }
      }
    }
  })

  it('with InfluxDB, lets the detector read the auth secret and reach port 8086, with no Timestream actions', () => {
    const g = grants(statementsOf(influx, influx.stack.twin.detector))
    expect(g['secretsmanager:GetSecretValue']).toEqual([
      expect.stringMatching(/^<.*Influx.*\.InfluxAuthParametersSecretArn>$/),
      `<${logicalId(influx, influx.stack.twin.tokenSecret)}>`,
    ])
    expect(Object.keys(g).filter((a) => a.startsWith('timestream:'))).toEqual([])
    const detectorSg = logicalId(influx, influx.stack.twin.detector.connections.securityGroups[0]!)
    influx.template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 8086,
      SourceSecurityGroupId: { 'Fn::GetAtt': [detectorSg, 'GroupId'] },
    })
  })

  it('opens the dispatch ALB on port 80 to the detector only', () => {
    const ingress = Object.values(ts.template.findResources('AWS::EC2::SecurityGroupIngress')).filter((r) => r.Properties.FromPort === 80)
    expect(ingress.map((r) => r.Properties.SourceSecurityGroupId)).toEqual([
      { 'Fn::GetAtt': [logicalId(ts, ts.stack.twin.detector.connections.securityGroups[0]!), 'GroupId'] },
    ])
  })
})

describe('construction-time checks', () => {
  function detectorIn(props: Partial<Parameters<typeof twinDetectorFunction>[2]> = {}) {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } })
    const stack = new Stack(app, 'D', { env: { account: '123456789012', region: 'eu-west-2' } })
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0 })
    return twinDetectorFunction(stack, 'Detector', {
      entry: FIXTURE_HANDLER,
      vpc,
      timeSeries: new TurbineTimeSeries(stack, 'Ts'),
      dispatchUrl: 'http://dispatch.internal',
      dispatch: new ec2.SecurityGroup(stack, 'Alb', { vpc }),
      tokenSecret: new secretsmanager.Secret(stack, 'Token'),
      topic: new sns.Topic(stack, 'Topic'),
      decisionsBucket: new s3.Bucket(stack, 'Decisions'),
      signingKey: new kms.Key(stack, 'Signing', { keySpec: kms.KeySpec.ECC_NIST_P256, keyUsage: kms.KeyUsage.SIGN_VERIFY }),
      ...props,
    })
  }

  it('refuses a detector timeout the simulations could outlast, naming the budget', () => {
    expect(() => detectorIn({ twinConfig: { dispatch: { runTimeoutMs: 600_000 } } })).toThrow(
      'D/Detector: timeout must exceed 4 waves of 15 simulations × runTimeoutMs 600000 ms + 60000 ms = 2460000 ms; received 900000 ms',
    )
    expect(() => detectorIn({ timeout: Duration.minutes(5) })).toThrow(/= 780000 ms; received 300000 ms/)
    expect(() => detectorIn({ timeout: Duration.minutes(16) })).toThrow('D/Detector: timeout (seconds) must be an integer from 1 to 900')
    // Fewer seeds, more at a time: a 10-minute run fits again.
    expect(() => detectorIn({ twinConfig: { dispatch: { runTimeoutMs: 600_000, seeds: [1], maxConcurrent: 8 } } })).not.toThrow()
  })

  it('validates the twin overrides and the environment by their schemas', () => {
    expect(() => detectorIn({ twinConfig: { dispatch: { engine: 'fortran' } } })).toThrow(/D\/Detector: twinConfig: .*engine/)
    expect(() => detectorIn({ logLevel: 'loud' })).toThrow(/D\/Detector: environment: .*LOG_LEVEL/)
    expect(() => detectorIn({ decisionsPrefix: '/decisions/' })).toThrow(/decisionsPrefix must be a key prefix/)
    expect(() =>
      lambdaEnvironment('X', createValidator(TwinPostProcessorLambdaEnv), { AWS_REGION: 'eu-west-2', LOG_LEVEL: 'info' }),
    ).toThrow("X: environment must not set Lambda's reserved AWS_REGION")
  })
})
