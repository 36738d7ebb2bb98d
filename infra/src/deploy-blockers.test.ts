import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Match, Template } from 'aws-cdk-lib/assertions'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { THING_KIND_VARIABLE } from './constructs/device-policy-document.js'
import type { PolicyStatementLike } from './iot-policy-match.js'
import { REPO_ROOT } from './paths.js'
import { fixtureStack, flatten } from './test-support.js'

// Issue #20: what stops a first deployment in a fresh account, asserted on a stack built with every default.
let template: Template
const cleanups: Array<() => void> = []

beforeAll(() => {
  const built = fixtureStack({}, { bundle: false })
  cleanups.push(built.cleanup)
  template = Template.fromStack(built.stack)
})
afterAll(() => {
  for (const c of cleanups) c()
})

type Resource = { Properties: Record<string, unknown>; DependsOn?: string[] }
const resources = (type: string) => template.findResources(type) as Record<string, Resource>
const statementsOf = (policy: Resource, key = 'PolicyDocument') =>
  (
    flatten(policy.Properties[key]) as {
      Statement: Array<PolicyStatementLike & { Sid?: string; Principal?: unknown; Condition?: unknown }>
    }
  ).Statement
const allIamStatements = () => Object.values(resources('AWS::IAM::Policy')).flatMap((p) => statementsOf(p))

describe('1. the catalogue works without a crawler run', () => {
  it('keeps only crawlers Glue accepts: CRAWL_NEW_FOLDERS_ONLY only with LOG/LOG', () => {
    const crawlers = Object.values(resources('AWS::Glue::Crawler'))
    expect(crawlers).toHaveLength(1)
    for (const c of crawlers) {
      const recrawl = (c.Properties.RecrawlPolicy as { RecrawlBehavior?: string } | undefined)?.RecrawlBehavior
      const change = c.Properties.SchemaChangePolicy as { UpdateBehavior: string; DeleteBehavior: string }
      if (recrawl === 'CRAWL_NEW_FOLDERS_ONLY') expect(change).toEqual({ UpdateBehavior: 'LOG', DeleteBehavior: 'LOG' })
    }
  })

  it('projects the per-device tables: DeviceId injected, the Firehose date folders as day', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'positions_by_device',
        PartitionKeys: [
          { Name: 'deviceid', Type: 'string' },
          { Name: 'day', Type: 'string' },
        ],
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.deviceid.type': 'injected',
          'projection.day.type': 'date',
          'projection.day.format': 'yyyy/MM/dd',
        }),
      }),
    })
    const byName = Object.fromEntries(
      Object.values(resources('AWS::Glue::Table')).map((t) => {
        const input = flatten(t.Properties.TableInput) as { Name: string; Parameters: Record<string, string> }
        return [input.Name, input.Parameters]
      }),
    )
    expect(byName['positions_by_device']?.['storage.location.template']).toMatch(/\/positions\/\$\{deviceid\}\/\$\{day\}\/$/)
    expect(byName['enriched_by_device']?.['storage.location.template']).toMatch(/\/enriched\/\$\{device\}\/$/)
    // The fleet-wide tables have no partitions: Athena would refuse a query on an injected column without a filter.
    expect(byName['positions']?.['projection.enabled']).toBeUndefined()
    expect(byName['enriched']?.['projection.enabled']).toBeUndefined()
  })
})

describe('2. alarm e-mails arrive', () => {
  it('encrypts the alarm topic with a customer managed key that CloudWatch may use', () => {
    const topics = Object.values(resources('AWS::SNS::Topic')).filter((t) => t.Properties.DisplayName === 'edgetwin alarms')
    expect(topics).toHaveLength(1)
    const keyRef = (topics[0]!.Properties.KmsMasterKeyId as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt']?.[0]
    expect(keyRef).toBeDefined()
    const key = resources('AWS::KMS::Key')[keyRef!]!
    const cloudwatch = statementsOf(key, 'KeyPolicy').find((s) => JSON.stringify(s.Principal).includes('cloudwatch.amazonaws.com'))
    expect(cloudwatch).toMatchObject({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })
  })
})

describe('4. a new account gets an engine it can create', () => {
  it('deploys Timestream for InfluxDB by default, in the stack and in cdk.json', () => {
    template.resourceCountIs('AWS::Timestream::InfluxDBInstance', 1)
    template.resourceCountIs('AWS::Timestream::Table', 0)
    const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'infra', 'cdk.json'), 'utf8'))
    expect(cdkJson.context.timeSeries).toBe('influxdb')
  })
})

describe('5. job documents are signed by a key that never leaves KMS', () => {
  it('creates an ECC_NIST_P256 signing key that only the detector’s role may Sign with, and hands the detector its ARN', () => {
    const keys = Object.entries(resources('AWS::KMS::Key')).filter(([, k]) => k.Properties.KeyUsage === 'SIGN_VERIFY')
    expect(keys).toHaveLength(1)
    const [keyId, key] = keys[0]!
    expect(key.Properties.KeySpec).toBe('ECC_NIST_P256')
    const detector = Object.values(resources('AWS::Lambda::Function')).find(
      (f) => (f.Properties.Environment as { Variables: Record<string, unknown> } | undefined)?.Variables?.['JOB_SIGNING_KEY_ARN'],
    )!
    const variables = (detector.Properties.Environment as { Variables: Record<string, unknown> }).Variables
    expect(variables['JOB_SIGNING_KEY_ARN']).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] })
    const detectorRole = flatten(detector.Properties.Role) as string
    const deny = statementsOf(key, 'KeyPolicy').find((s) => s.Sid === 'OnlyTheDetectorSigns')
    expect(deny).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'kms:Sign',
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': detectorRole } },
    })
    // Exactly one IAM statement grants kms:Sign: the detector's, on this key.
    const signers = allIamStatements().filter((s) => [s.Action].flat().includes('kms:Sign'))
    expect(signers).toHaveLength(1)
    expect(signers[0]!.Resource).toBe(`<${keyId}.Arn>`)
  })
})

describe('7. smaller', () => {
  it('pins the dispatch task to linux/x86_64, the platform its image is built for', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
    })
  })

  it('gives every log group a retention, the dispatch containers’ and the CDK helper functions’ included', () => {
    const groups = Object.values(resources('AWS::Logs::LogGroup'))
    for (const g of groups) expect(g.Properties.RetentionInDays).toBeGreaterThan(0)
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }) })],
    })
    // Every function either names its log group or has one named after it.
    const named = new Set(groups.map((g) => JSON.stringify(g.Properties.LogGroupName)))
    const functions = Object.entries(resources('AWS::Lambda::Function'))
    const helpers = functions.filter(([, f]) => f.Properties.LoggingConfig === undefined)
    expect(helpers.length).toBeGreaterThan(0)
    for (const [id] of helpers) {
      expect(named).toContain(JSON.stringify({ 'Fn::Join': ['', ['/aws/lambda/', { Ref: id }]] }))
    }
    // A custom resource runs its helper at deploy time: it waits for the helper's group.
    const notifications = Object.values(template.findResources('Custom::S3BucketNotifications')) as Resource[]
    expect(notifications[0]?.DependsOn?.some((d) => d.includes('LogGroup'))).toBe(true)
  })

  it('lets a device publish only under its own kind attribute', () => {
    const policy = Object.values(resources('AWS::IoT::Policy'))[0]!
    const publish = statementsOf(policy).find((s) => s.Sid === 'PublishOwnTelemetryAndJobRequests')!
    const telemetry = [publish.Resource].flat().filter((r) => r.includes(':topic/dt/'))
    expect(telemetry.length).toBeGreaterThan(0)
    for (const r of telemetry) expect(r).toContain(`/dt/edgetwin/${THING_KIND_VARIABLE}/`)
  })

  it('grants no role s3:DeleteObject', () => {
    const deletes = allIamStatements().filter((s) => [s.Action].flat().some((a) => /^s3:DeleteObject|^s3:\*$/.test(a)))
    expect(deletes).toEqual([])
  })

  it('serves the dispatch API over HTTP inside the VPC unless given a certificate', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Protocol: 'HTTP', Port: 80 })
    expect(flatten(template.findOutputs('DispatchUrl').DispatchUrl?.Value)).toMatch(/^http:\/\//)
  })
})

describe('7. HTTPS to the dispatch ALB', () => {
  it('listens on 443 with the ACM certificate, names the https URL, and lets the detector reach 443', () => {
    const certificate = 'arn:aws:acm:eu-west-2:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'
    const built = fixtureStack({ dispatchCertificateArn: certificate, dispatchDomainName: 'dispatch.example.com' }, { bundle: false })
    cleanups.push(built.cleanup)
    const https = Template.fromStack(built.stack)
    https.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Protocol: 'HTTPS',
      Port: 443,
      Certificates: [{ CertificateArn: certificate }],
    })
    https.resourcePropertiesCountIs('AWS::ElasticLoadBalancingV2::Listener', { Protocol: 'HTTP' }, 0)
    expect(https.findOutputs('DispatchUrl').DispatchUrl?.Value).toBe('https://dispatch.example.com')
    https.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 443,
      ToPort: 443,
      Description: Match.stringLikeRegexp('twin detector'),
    })
    https.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DISPATCH_URL: 'https://dispatch.example.com' }) },
    })
  })

  it('refuses a certificate without the name it covers', () => {
    expect(() => fixtureStack({ dispatchCertificateArn: 'arn:aws:acm:eu-west-2:123456789012:certificate/x' }, { bundle: false })).toThrow(
      'Test/Twin: dispatchCertificateArn and dispatchDomainName go together; received only the certificate',
    )
  })
})
