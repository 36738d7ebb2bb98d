import { join } from 'node:path'
import { RemovalPolicy, Stack } from 'aws-cdk-lib'
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as iot from 'aws-cdk-lib/aws-iot'
import type * as lambda from 'aws-cdk-lib/aws-lambda'
import { Construct } from 'constructs'
import { edgetwinFunction } from '../lambda.js'
import { REPO_ROOT } from '../paths.js'
import { requirePattern } from '../validate.js'

export interface FleetProvisioningProps {
  /** The device policy every provisioned thing's certificate gets (scoped by thing name and `kind` attribute). */
  readonly devicePolicyName: string
  /** @default 'EdgetwinFleet' */
  readonly templateName?: string
  /** @default 'edgetwin_claim_policy' */
  readonly claimPolicyName?: string
  /** @default 'edgetwin-provisioning-allow-list' */
  readonly allowListTableName?: string
  /** The hook's handler. @default cloud/src/lambda/pre-provisioning-hook.ts */
  readonly hookEntry?: string
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy
}

/**
 * AWS IoT fleet provisioning by claim (AWS IoT developer guide, "Provisioning by claim"): a provisioning template
 * that creates the thing `<Kind>-<SerialNumber>` with its `kind` attribute, activates the device's certificate and
 * attaches the device policy; a pre-provisioning hook that admits only serials on a DynamoDB allow-list and takes
 * the kind from the list; and the claim policy, which lets a claim certificate do nothing but provision.
 */
export class FleetProvisioning extends Construct {
  readonly template: iot.CfnProvisioningTemplate
  readonly claimPolicy: iot.CfnPolicy
  readonly allowList: dynamodb.Table
  readonly hook: lambda.IFunction
  readonly templateName: string

  constructor(scope: Construct, id: string, props: FleetProvisioningProps) {
    super(scope, id)
    const where = this.node.path
    const stack = Stack.of(this)
    const templateName = props.templateName ?? 'EdgetwinFleet'
    const claimPolicyName = props.claimPolicyName ?? 'edgetwin_claim_policy'
    const tableName = props.allowListTableName ?? 'edgetwin-provisioning-allow-list'
    requirePattern(where, 'templateName', templateName, /^[0-9A-Za-z_-]{1,36}$/, '1-36 characters of [0-9A-Za-z_-]')
    requirePattern(where, 'claimPolicyName', claimPolicyName, /^[\w+=,.@-]{1,128}$/, '1-128 characters of [\\w+=,.@-]')
    requirePattern(where, 'allowListTableName', tableName, /^[a-zA-Z0-9_.-]{3,255}$/, '3-255 characters of [a-zA-Z0-9_.-]')
    this.templateName = templateName

    this.allowList = new dynamodb.Table(this, 'AllowList', {
      tableName,
      partitionKey: { name: 'SerialNumber', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    })

    const hook = edgetwinFunction(this, 'PreProvisioningHook', {
      entry: props.hookEntry ?? join(REPO_ROOT, 'cloud', 'src', 'lambda', 'pre-provisioning-hook.ts'),
      memorySizeMb: 256,
      environment: { ALLOW_LIST_TABLE_NAME: this.allowList.tableName, LOG_LEVEL: 'info' },
    })
    // GetItem only: the hook reads the list, it never changes it.
    hook.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [this.allowList.tableArn] }))
    const templateArn = `arn:${stack.partition}:iot:${stack.region}:${stack.account}:provisioningtemplate/${templateName}`
    hook.addPermission('InvokedByIotFleetProvisioning', {
      principal: new iam.ServicePrincipal('iot.amazonaws.com'),
      sourceArn: templateArn,
      sourceAccount: stack.account,
    })
    this.hook = hook

    const provisioningRole = new iam.Role(this, 'ProvisioningRole', {
      assumedBy: new iam.ServicePrincipal('iot.amazonaws.com'),
      description: 'AWS IoT fleet provisioning registers things, activates certificates and attaches the device policy',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSIoTThingsRegistration')],
    })

    this.template = new iot.CfnProvisioningTemplate(this, 'Template', {
      templateName,
      description: 'edgetwin devices: <Kind>-<SerialNumber>, kind from the allow-list, the device policy attached',
      enabled: true,
      templateType: 'FLEET_PROVISIONING',
      provisioningRoleArn: provisioningRole.roleArn,
      preProvisioningHook: { targetArn: hook.functionArn, payloadVersion: '2020-04-01' },
      templateBody: stack.toJsonString(provisioningTemplateBody(props.devicePolicyName)),
    })
    this.template.node.addDependency(hook)

    this.claimPolicy = new iot.CfnPolicy(this, 'ClaimPolicy', {
      policyName: claimPolicyName,
      policyDocument: claimPolicyDocument(`arn:${stack.partition}:iot:${stack.region}:${stack.account}`, templateName),
    })
  }
}

/**
 * What a claim certificate may do: connect, and use the provisioning topics of this template (CreateCertificateFromCsr,
 * CreateKeysAndCertificate, RegisterThing) — no telemetry, no jobs, no other template.
 */
export function claimPolicyDocument(iotArnPrefix: string, templateName: string) {
  const operations = [
    '$aws/certificates/create-from-csr/json',
    '$aws/certificates/create/json',
    `$aws/provisioning-templates/${templateName}/provision/json`,
  ]
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ConnectToProvision', Effect: 'Allow', Action: 'iot:Connect', Resource: `${iotArnPrefix}:client/*` },
      {
        Sid: 'ProvisioningRequestsOnly',
        Effect: 'Allow',
        Action: ['iot:Publish', 'iot:Receive'],
        Resource: operations.flatMap((t) => [
          `${iotArnPrefix}:topic/${t}`,
          `${iotArnPrefix}:topic/${t}/accepted`,
          `${iotArnPrefix}:topic/${t}/rejected`,
        ]),
      },
      {
        Sid: 'ProvisioningAnswersOnly',
        Effect: 'Allow',
        Action: 'iot:Subscribe',
        Resource: operations.flatMap((t) => [`${iotArnPrefix}:topicfilter/${t}/accepted`, `${iotArnPrefix}:topicfilter/${t}/rejected`]),
      },
    ],
  }
}

/**
 * The template body (AWS IoT developer guide, "Provisioning templates"): parameters from the device (SerialNumber)
 * and from the hook (Kind, which overrides whatever the device sent), and the certificate id IoT passes in.
 */
export function provisioningTemplateBody(devicePolicyName: string) {
  const thingName = { 'Fn::Join': ['', [{ Ref: 'Kind' }, '-', { Ref: 'SerialNumber' }]] }
  return {
    Parameters: {
      SerialNumber: { Type: 'String' },
      Kind: { Type: 'String' },
      'AWS::IoT::Certificate::Id': { Type: 'String' },
    },
    Resources: {
      thing: {
        Type: 'AWS::IoT::Thing',
        Properties: { ThingName: thingName, AttributePayload: { kind: { Ref: 'Kind' }, serial: { Ref: 'SerialNumber' } } },
        OverrideSettings: { AttributePayload: 'REPLACE', ThingTypeName: 'REPLACE', ThingGroups: 'DO_NOTHING' },
      },
      certificate: {
        Type: 'AWS::IoT::Certificate',
        Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' },
      },
      policy: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: devicePolicyName } },
    },
    DeviceConfiguration: { kind: { Ref: 'Kind' } },
  }
}
