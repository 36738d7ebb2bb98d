import { App, Stack } from 'aws-cdk-lib'
import { Match, Template } from 'aws-cdk-lib/assertions'
import * as lambda from 'aws-cdk-lib/aws-lambda'
import * as s3 from 'aws-cdk-lib/aws-s3'
import { describe, expect, it } from 'vitest'
import { DeadLetters } from './constructs/dead-letters.js'
import { Ingest } from './constructs/ingest.js'
import { DataLake } from './constructs/lake.js'
import { FleetLocation } from './constructs/location.js'
import { PartitionedFirehose } from './constructs/partitioned-firehose.js'
import { TurbineTimeSeries } from './constructs/time-series.js'
import { readContext } from './context.js'
import { edgetwinFunction } from './lambda.js'
import { validateNamedQueries } from './named-queries.js'
import { FIXTURE_HANDLER, fixtureStack } from './test-support.js'

// Construction-time validation: nothing here synthesizes a template except the InfluxDB variant.
const scope = () => new Stack(new App(), 'V')

describe('construction-time validation', () => {
  it('names the prop, the value received and the range allowed', () => {
    const stack = scope()
    const dlq = new DeadLetters(stack, 'Dlq').queue
    const routerSettings = {
      TRACKER_NAME: 't',
      TIMESERIES_ADAPTER: 'timestream',
      DELIVERY_STREAM_NAME: 'd',
      DEAD_LETTER_BUCKET: 'bucket',
      DEAD_LETTER_PREFIX: 'dl',
    } as const
    expect(() => new Ingest(stack, 'Ingest', { routerEntry: FIXTURE_HANDLER, deadLetterQueue: dlq, routerSettings, batchSize: 0 })).toThrow(
      'V/Ingest: batchSize must be an integer from 1 to 10000; received 0',
    )
    expect(
      () => new Ingest(stack, 'Ingest2', { routerEntry: FIXTURE_HANDLER, deadLetterQueue: dlq, routerSettings, ruleName: 'bad-name' }),
    ).toThrow("V/Ingest2: ruleName must be 1-128 characters of [a-zA-Z0-9_]; received 'bad-name'")
    expect(
      () =>
        new Ingest(stack, 'Ingest3', {
          routerEntry: FIXTURE_HANDLER,
          deadLetterQueue: dlq,
          routerSettings: { ...routerSettings, LOG_LEVEL: 'loud' },
        }),
    ).toThrow(/V\/Ingest3: routerSettings: invalid RouterLambdaEnv: \/LOG_LEVEL/)
    expect(() => new DeadLetters(stack, 'Dlq2', { retentionDays: 15 })).toThrow(
      /retentionDays must be an integer from 1 to 14; received 15/,
    )
    expect(() => new DataLake(stack, 'Lake', { infrequentAccessAfterDays: 10 })).toThrow(
      /infrequentAccessAfterDays must be an integer from 30/,
    )
    expect(() => new DataLake(stack, 'Lake2', { infrequentAccessAfterDays: 60, glacierAfterDays: 40 })).toThrow(
      'V/Lake2: infrequentAccessAfterDays (60) must not exceed glacierAfterDays (40)',
    )
    const bucket = new s3.Bucket(stack, 'B')
    // Dynamic partitioning needs at least a 64 MiB buffer (Firehose developer guide); less is refused here, not at deploy.
    expect(
      () =>
        new PartitionedFirehose(stack, 'F', { bucket, deliveryStreamName: 's', prefix: 'p', deviceIdQuery: '.DeviceId', bufferSizeMiB: 5 }),
    ).toThrow('V/F: bufferSizeMiB must be an integer from 64 to 128; received 5')
    expect(
      () => new PartitionedFirehose(stack, 'F2', { bucket, deliveryStreamName: 's', prefix: 'p', deviceIdQuery: 'DeviceId; rm' }),
    ).toThrow(/deviceIdQuery must be a jq path such as \.detail\.DeviceId; received 'DeviceId; rm'/)
    expect(() => new FleetLocation(stack, 'Loc', { trackerName: 'no spaces' })).toThrow(
      /trackerName must be 1-100 characters.*received 'no spaces'/,
    )
  })

  it('refuses Lambda runtimes older than nodejs22.x (Node.js 20 is past its end of life) or not Node.js at all', () => {
    const stack = scope()
    expect(() => edgetwinFunction(stack, 'Old', { entry: FIXTURE_HANDLER, runtime: lambda.Runtime.NODEJS_20_X })).toThrow(
      "V/Old: runtime must be nodejs22.x or newer; received 'nodejs20.x'",
    )
    expect(() => edgetwinFunction(stack, 'Py', { entry: FIXTURE_HANDLER, runtime: lambda.Runtime.PYTHON_3_12 })).toThrow(
      /received 'python3.12'/,
    )
  })

  it('requires a VPC for InfluxDB and an engine it knows', () => {
    const stack = scope()
    expect(() => new TurbineTimeSeries(stack, 'Ts', { engine: 'influxdb' })).toThrow(
      "V/Ts: vpc is required when engine is 'influxdb'; received none",
    )
    expect(() => new TurbineTimeSeries(stack, 'Ts2', { engine: 'sqlite' as never })).toThrow(
      /engine must be one of timestream, influxdb; received 'sqlite'/,
    )
  })

  it('reads the context flags and rejects unknown values', () => {
    const ctx = (values: Record<string, string>) => readContext((k) => values[k])
    // Timestream for InfluxDB by default: LiveAnalytics takes no new customers since 2025-06-20.
    expect(ctx({})).toEqual({ timeSeries: 'influxdb', basicIngest: false, stackName: 'Edgetwin' })
    expect(ctx({ timeSeries: 'timestream', basicIngest: 'true' })).toMatchObject({ timeSeries: 'timestream', basicIngest: true })
    expect(ctx({ stackName: 'EdgetwinStaging', dispatchDomainName: 'dispatch.example.com' })).toMatchObject({
      stackName: 'EdgetwinStaging',
      dispatchDomainName: 'dispatch.example.com',
    })
    expect(() => ctx({ timeSeries: 'influx' })).toThrow("context timeSeries must be one of timestream, influxdb; received 'influx'")
    expect(() => ctx({ basicIngest: 'yes' })).toThrow("context basicIngest must be true or false; received 'yes'")
  })

  it('checks named queries against the Athena limits', () => {
    expect(() => validateNamedQueries({}, 'src')).toThrow(/expected an array/)
    expect(() => validateNamedQueries([{ name: '', description: 'd', queryString: 'q' }], 'src')).toThrow(
      'src: query 0 name must be a string of 1-128 characters; received 0 characters',
    )
    const q = { name: 'a', description: 'd', queryString: 'q' }
    expect(() => validateNamedQueries([q, q], 'src')).toThrow("query name 'a' appears twice")
  })
})

describe('context timeSeries=influxdb', () => {
  it('deploys Timestream for InfluxDB in private subnets instead of a LiveAnalytics table', () => {
    const built = fixtureStack({ timeSeries: 'influxdb' }, { bundle: false })
    try {
      const template = Template.fromStack(built.stack)
      template.resourceCountIs('AWS::Timestream::Table', 0)
      template.resourceCountIs('AWS::Timestream::Database', 0)
      template.hasResourceProperties('AWS::Timestream::InfluxDBInstance', {
        PubliclyAccessible: false,
        DeploymentType: 'SINGLE_AZ',
        Port: 8086,
        Password: {
          'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: Match.stringLikeRegexp('AdminPassword') }, ':SecretString:::}}']],
        },
      })
      // The router then runs in the VPC and may reach port 8086 of the instance's security group only.
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { IpProtocol: 'tcp', FromPort: 8086, ToPort: 8086 })
      expect(built.stack.ingest.routerEnvironment).toMatchObject({
        TIMESERIES_ADAPTER: 'influxdb',
        INFLUX_ORG: 'edgetwin',
        INFLUX_BUCKET: 'turbine_metrics',
      })
      expect(built.stack.ingest.routerEnvironment.INFLUX_URL).toMatch(/^https:\/\/\$\{Token\[.+\]\}:8086$/)
      // The router reads the instance's auth secret by ARN (GetSecretValue), as the detector does.
      expect(built.stack.ingest.routerEnvironment.INFLUX_TOKEN_SECRET_ARN).toMatch(/^\$\{Token\[.+\]\}$/)
    } finally {
      built.cleanup()
    }
  })
})
