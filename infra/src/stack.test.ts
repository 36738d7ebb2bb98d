import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createValidator, IOT_RULE_KINESIS_PARTITION_KEY, IOT_RULE_SQL, RouterLambdaEnv, validators } from '@edgetwin/shared-schemas'
import { Match, Template } from 'aws-cdk-lib/assertions'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { THING_NAME_VARIABLE } from './constructs/device-policy-document.js'
import { REFERENCE_INPUT_TEMPLATE } from './constructs/reference-input.js'
import { isAllowed, type PolicyStatementLike } from './iot-policy-match.js'
import { REPO_ROOT } from './paths.js'
import { fixtureStack, flatten } from './test-support.js'

// One synthesized stack (fixture handlers, bundled by the local esbuild) shared by every assertion below.
let template: Template
let cleanup: () => void

beforeAll(() => {
  const built = fixtureStack({
    // LiveAnalytics, as an account that has it would choose (the default is InfluxDB: deploy-blockers.test.ts).
    timeSeries: 'timestream',
    namedQueries: [{ name: 'days-in-zone', description: 'Days inside the zone per vehicle', queryString: 'SELECT 1' }],
  })
  template = Template.fromStack(built.stack)
  cleanup = built.cleanup
})
afterAll(() => cleanup?.())

const resourcesOf = (type: string) => Object.values(template.findResources(type)) as Array<{ Properties: Record<string, unknown> }>

describe('encryption and access', () => {
  it('encrypts every bucket, blocks public access and refuses plain HTTP', () => {
    const buckets = template.findResources('AWS::S3::Bucket')
    expect(Object.keys(buckets).length).toBeGreaterThanOrEqual(2)
    for (const [id, bucket] of Object.entries(buckets)) {
      expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe(
        'AES256',
      )
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      })
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Principal: { AWS: '*' } }),
          ]),
        },
      })
    }
  })

  it('encrypts the stream, queue, table, topics, delivery streams and keeps the lake on lifecycle rules', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', { StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' } })
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true })
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      KeySchema: [{ AttributeName: 'DeviceId', KeyType: 'HASH' }],
    })
    // Every topic is encrypted: the twin's with the AWS managed key, the alarms' with a key CloudWatch may use (deploy-blockers.test.ts).
    for (const topic of resourcesOf('AWS::SNS::Topic'))
      expect(flatten(topic.Properties.KmsMasterKeyId)).toMatch(/alias\/aws\/sns|^<.*Key.*\.Arn>$/)
    for (const stream of resourcesOf('AWS::KinesisFirehose::DeliveryStream')) {
      expect(stream.Properties.DeliveryStreamEncryptionConfigurationInput).toEqual({ KeyType: 'AWS_OWNED_CMK' })
    }
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Transitions: Match.arrayWith([Match.objectLike({ StorageClass: 'STANDARD_IA', TransitionInDays: 30 })]) }),
        ]),
      },
    })
  })
})

describe('ingest', () => {
  it('scopes the device policy by thing name, with no wildcard actions or bare * resources', () => {
    const [policy] = resourcesOf('AWS::IoT::Policy')
    const statements = (flatten(policy?.Properties.PolicyDocument) as { Statement: PolicyStatementLike[] }).Statement
    expect(statements.length).toBeGreaterThanOrEqual(4)
    for (const s of statements) {
      for (const action of [s.Action].flat()) expect(action).not.toContain('*')
      for (const resource of [s.Resource].flat()) {
        expect(resource).not.toBe('*')
        expect(resource).toContain(THING_NAME_VARIABLE)
      }
    }
    const arn = 'arn:aws:iot:eu-west-2:123456789012'
    expect(
      isAllowed(
        statements,
        { name: 'van-7', attributes: { kind: 'vehicle' } },
        'iot:Publish',
        `${arn}:topic/dt/edgetwin/vehicle/van-7/position`,
      ),
    ).toBe(true)
    expect(
      isAllowed(
        statements,
        { name: 'van-7', attributes: { kind: 'vehicle' } },
        'iot:Publish',
        `${arn}:topic/dt/edgetwin/vehicle/van-8/position`,
      ),
    ).toBe(false)
    template.resourceCountIs('AWS::IoT::ThingType', 1)
  })

  it('routes telemetry through a topic rule into Kinesis, keyed by topic, with an error action', () => {
    template.hasResourceProperties('AWS::IoT::TopicRule', {
      RuleName: 'edgetwin_telemetry',
      TopicRulePayload: {
        Sql: IOT_RULE_SQL,
        AwsIotSqlVersion: '2016-03-23',
        Actions: [{ Kinesis: Match.objectLike({ PartitionKey: IOT_RULE_KINESIS_PARTITION_KEY }) }],
        ErrorAction: { Sqs: Match.objectLike({ UseBase64: false }) },
      },
    })
  })

  it('feeds the router with partial-batch responses and a failure destination', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    })
  })

  it('gives the router an environment its RouterLambdaEnv schema accepts, naming its own state tables', () => {
    const [router] = resourcesOf('AWS::Lambda::Function').filter((f) => {
      const env = (f.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
      return env?.HWM_TABLE_NAME !== undefined
    })
    expect(router).toBeDefined()
    const env = flatten((router!.Properties.Environment as { Variables: Record<string, unknown> }).Variables) as Record<string, string>
    expect(createValidator(RouterLambdaEnv).errors(env)).toEqual([])
    expect(env).toMatchObject({
      TRACKER_NAME: 'edgetwin-tracker',
      TIMESERIES_ADAPTER: 'timestream',
      TIMESTREAM_DATABASE: 'edgetwin',
      TIMESTREAM_TABLE: 'turbine_metrics',
      DELIVERY_STREAM_NAME: 'edgetwin-archive',
      DEAD_LETTER_PREFIX: 'dead-letters',
      HWM_TABLE_NAME: expect.stringMatching(/HighWaterMarks/),
      DEVICE_STATUS_TABLE_NAME: expect.stringMatching(/DeviceStatus/),
    })
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    })
  })

  it('gives the router only variables its RouterLambdaEnv schema declares, far under Lambda’s 4 KB', () => {
    const [router] = resourcesOf('AWS::Lambda::Function').filter((f) => {
      const env = (f.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
      return env?.HWM_TABLE_NAME !== undefined
    })
    const variables = (router!.Properties.Environment as { Variables: Record<string, unknown> }).Variables
    const declared = new Set([...Object.keys(RouterLambdaEnv.properties), 'NODE_OPTIONS'])
    expect(Object.keys(variables).filter((k) => !declared.has(k))).toEqual([])
    // Unresolved references render as `<LogicalId>`, longer than most names they resolve to.
    const bytes = Object.entries(flatten(variables) as Record<string, string>).reduce((n, [k, v]) => n + k.length + String(v).length, 0)
    expect(bytes).toBeLessThan(1024)
  })
})

describe('location and events', () => {
  it('filters tracker positions by distance and publishes them to EventBridge', () => {
    template.hasResourceProperties('AWS::Location::Tracker', { PositionFiltering: 'DistanceBased', EventBridgeEnabled: true })
    template.resourceCountIs('AWS::Location::GeofenceCollection', 1)
    template.hasResourceProperties('AWS::Location::TrackerConsumer', { TrackerName: 'edgetwin-tracker' })
    template.hasResourceProperties('Custom::AWS', { Create: Match.stringLikeRegexp('"action":"putGeofence".*"GeofenceId":"ulez-2021"') })
  })

  it('matches exactly source aws.geo and detail-type Location Device Position Event', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.exact({ source: ['aws.geo'], 'detail-type': ['Location Device Position Event'] }),
    })
  })

  it('sends the enrichment function the reference input and the raw event to Firehose', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.geo'] },
      Targets: Match.arrayWith([
        Match.objectLike({
          InputTransformer: {
            InputPathsMap: {
              EventType: '$.detail.EventType',
              TrackerName: '$.detail.TrackerName',
              DeviceId: '$.detail.DeviceId',
              SampleTime: '$.detail.SampleTime',
              ReceivedTime: '$.detail.ReceivedTime',
              Position: '$.detail.Position',
            },
            InputTemplate: REFERENCE_INPUT_TEMPLATE,
          },
          DeadLetterConfig: Match.anyValue(),
        }),
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('PositionsFirehose'), 'Arn'] } }),
      ]),
    })
  })

  it('gives the enrichment function the shape TransformedPositionEvent validates', () => {
    const sample = REFERENCE_INPUT_TEMPLATE.replace('<EventType>', '"UPDATE"')
      .replace('<TrackerName>', '"edgetwin-tracker"')
      .replace('<DeviceId>', '"van-1"')
      .replace('<SampleTime>', '"2026-10-01T08:00:00Z"')
      .replace('<ReceivedTime>', '"2026-10-01T08:00:01Z"')
      .replace('<Position>', '[-0.1276,51.5072]')
    expect(validators.TransformedPositionEvent.errors(JSON.parse(sample))).toEqual([])
  })
})

describe('lake', () => {
  it('partitions Firehose output by DeviceId with GZIP, adding a newline only to the events that lack one', () => {
    for (const [name, query, delimiter] of [
      // EventBridge delivers one event per record with no line end: Firehose adds it.
      ['edgetwin-positions', '{DeviceId:.detail.DeviceId}', true],
      // The router's archive lines end in '\n' already: a second one would leave a blank line after every record.
      ['edgetwin-archive', '{DeviceId:.DeviceId}', false],
    ] as const) {
      template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
        DeliveryStreamName: name,
        ExtendedS3DestinationConfiguration: Match.objectLike({
          CompressionFormat: 'GZIP',
          Prefix: Match.stringLikeRegexp('^[a-z]+/!\\{partitionKeyFromQuery:DeviceId\\}/'),
          DynamicPartitioningConfiguration: Match.objectLike({ Enabled: true }),
          ProcessingConfiguration: {
            Enabled: true,
            Processors: [
              {
                Type: 'MetadataExtraction',
                Parameters: [
                  { ParameterName: 'MetadataExtractionQuery', ParameterValue: query },
                  { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
                ],
              },
              ...(delimiter
                ? [{ Type: 'AppendDelimiterToRecord', Parameters: [{ ParameterName: 'Delimiter', ParameterValue: '\\n' }] }]
                : []),
            ],
          },
        }),
      })
    }
  })

  it('declares the positions and enriched tables, crawls only the archive, and deploys the named queries', () => {
    const locations = resourcesOf('AWS::Glue::Table').map(
      (t) => flatten(t.Properties.TableInput) as { Name: string; StorageDescriptor: { Location: string } },
    )
    expect(Object.fromEntries(locations.map((t) => [t.Name, t.StorageDescriptor.Location]))).toEqual({
      positions: expect.stringMatching(/\/positions\/$/),
      enriched: expect.stringMatching(/\/enriched\/$/),
      positions_by_device: expect.stringMatching(/\/positions\/$/),
      enriched_by_device: expect.stringMatching(/\/enriched\/$/),
    })
    const paths = resourcesOf('AWS::Glue::Crawler').map((c) => flatten(c.Properties.Targets))
    expect(JSON.stringify(paths)).toMatch(/\/archive\//)
    expect(paths).toHaveLength(1)
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({ EnforceWorkGroupConfiguration: true }),
    })
    template.hasResourceProperties('AWS::Athena::NamedQuery', {
      Name: 'days-in-zone',
      Database: 'edgetwin',
      WorkGroup: 'edgetwin-analytics',
    })
  })
})

describe('time series', () => {
  it('creates a Timestream table with retention and magnetic writes for replayed records', () => {
    template.hasResourceProperties('AWS::Timestream::Table', {
      RetentionProperties: { MemoryStoreRetentionPeriodInHours: '24', MagneticStoreRetentionPeriodInDays: '365' },
      MagneticStoreWriteProperties: { EnableMagneticStoreWrites: true },
    })
    template.resourceCountIs('AWS::Timestream::InfluxDBInstance', 0)
  })
})

describe('twin', () => {
  it('runs the dispatch image on Fargate behind an internal ALB, health-checked on /healthz', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internal', Type: 'application' })
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/healthz', TargetType: 'ip' })
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      ContainerDefinitions: [Match.objectLike({ Secrets: [Match.objectLike({ Name: 'EDGETWIN_DISPATCH_TOKEN' })] })],
    })
  })

  it('scales the service by target tracking on CPU', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 1,
      MaxCapacity: 10,
      ScalableDimension: 'ecs:service:DesiredCount',
    })
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 60,
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
      }),
    })
  })

  it('schedules the detector, triggers the post-processor on results and lets only the detector create twin jobs', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(10 minutes)' })
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          Match.objectLike({
            Events: ['s3:ObjectCreated:*'],
            Filter: {
              Key: {
                FilterRules: Match.arrayWith([
                  { Name: 'suffix', Value: '.out' },
                  { Name: 'prefix', Value: 'results/' },
                ]),
              },
            },
          }),
        ],
      },
    })
    const jobStatements = resourcesOf('AWS::IAM::Policy')
      .flatMap((p) => (flatten(p.Properties.PolicyDocument) as { Statement: PolicyStatementLike[] }).Statement)
      .filter((s) => [s.Action].flat().includes('iot:CreateJob'))
    expect(jobStatements).toHaveLength(1)
    expect([jobStatements[0]?.Resource].flat().sort()).toEqual([
      'arn:aws:iot:eu-west-2:123456789012:job/twin-*',
      'arn:aws:iot:eu-west-2:123456789012:thing/turbine-*',
    ])
  })
})

describe('outputs', () => {
  it('exposes every output docs/deploy.md reads back', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8')
    const used = new Set([...doc.matchAll(/\$\(output (\w+)\)/g)].map((m) => m[1] as string))
    expect(used.size).toBeGreaterThanOrEqual(4)
    const outputs = Object.keys(template.findOutputs('*'))
    for (const name of used) expect(outputs).toContain(name)
  })
})

describe('runtimes and observability', () => {
  it('runs every Node.js function on nodejs22.x or newer, ours on nodejs24.x bundled for node24', () => {
    const runtimes = resourcesOf('AWS::Lambda::Function').map((f) => String(f.Properties.Runtime))
    const node = runtimes.filter((r) => r.startsWith('nodejs'))
    expect(node.length).toBeGreaterThanOrEqual(4)
    for (const r of node) expect(Number(/^nodejs(\d+)\.x$/.exec(r)?.[1])).toBeGreaterThanOrEqual(22)
    expect(runtimes.filter((r) => r === 'nodejs24.x').length).toBeGreaterThanOrEqual(4)
  })

  it('alarms on dead letters, router errors and Kinesis iterator age', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      AlarmActions: [Match.anyValue()],
    })
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/S3',
      MetricName: 'PutRequests',
      Dimensions: Match.arrayWith([{ Name: 'FilterId', Value: 'dead-letters' }]),
    })
    template.hasResourceProperties('AWS::S3::Bucket', { MetricsConfigurations: [{ Id: 'dead-letters', Prefix: 'dead-letters/' }] })
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Statistic: 'Sum',
      Threshold: 1,
    })
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Kinesis',
      MetricName: 'GetRecords.IteratorAgeMilliseconds',
      Statistic: 'Maximum',
      Threshold: 60_000,
      ComparisonOperator: 'GreaterThanThreshold',
    })
  })
})
