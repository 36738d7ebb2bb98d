import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { App, Stack } from 'aws-cdk-lib'
import { Match, Template } from 'aws-cdk-lib/assertions'
import { describe, expect, it } from 'vitest'
import { claimPolicyDocument, FleetProvisioning, provisioningTemplateBody } from './constructs/fleet-provisioning.js'
import { isAllowed } from './iot-policy-match.js'
import { FIXTURE_HANDLER } from './test-support.js'

function synth(props: Partial<ConstructorParameters<typeof FleetProvisioning>[2]> = {}) {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'edgetwin-cdk-prov-')), context: { 'aws:cdk:bundling-stacks': [] } })
  const stack = new Stack(app, 'Prov', { env: { account: '123456789012', region: 'eu-west-2' } })
  const construct = new FleetProvisioning(stack, 'Provisioning', {
    devicePolicyName: 'edgetwin_device_policy',
    hookEntry: FIXTURE_HANDLER,
    ...props,
  })
  return { template: Template.fromStack(stack), construct }
}

describe('fleet provisioning by claim (CDK)', () => {
  it('declares the template with the pre-provisioning hook, the registration role and the device policy', () => {
    const { template } = synth()
    template.hasResourceProperties('AWS::IoT::ProvisioningTemplate', {
      TemplateName: 'EdgetwinFleet',
      Enabled: true,
      TemplateType: 'FLEET_PROVISIONING',
      PreProvisioningHook: { PayloadVersion: '2020-04-01', TargetArn: Match.anyValue() },
      ProvisioningRoleArn: Match.anyValue(),
    })
    const [tpl] = Object.values(template.findResources('AWS::IoT::ProvisioningTemplate'))
    const body = JSON.parse((tpl as { Properties: { TemplateBody: string } }).Properties.TemplateBody)
    expect(body).toEqual(provisioningTemplateBody('edgetwin_device_policy'))
    expect(body.Resources.policy.Properties.PolicyName).toBe('edgetwin_device_policy')
    expect(body.Resources.thing.Properties.AttributePayload.kind).toEqual({ Ref: 'Kind' })
    expect(body.Resources.certificate.Properties.Status).toBe('ACTIVE')
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'iot.amazonaws.com' } })] },
      ManagedPolicyArns: [Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('AWSIoTThingsRegistration')])] })],
    })
  })

  it('lets IoT invoke the hook for this template only, and the hook only read the allow-list', () => {
    const { template } = synth()
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'iot.amazonaws.com',
      Action: 'lambda:InvokeFunction',
      SourceAccount: '123456789012',
      SourceArn: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':provisioningtemplate/EdgetwinFleet$')])] },
    })
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'SerialNumber', KeyType: 'HASH' }],
      SSESpecification: { SSEEnabled: true },
    })
    const hookPolicies = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[] }> } } }).Properties.PolicyDocument.Statement,
    )
    const dynamoActions = hookPolicies.flatMap((s) => [s.Action].flat()).filter((a) => a.startsWith('dynamodb:'))
    expect(dynamoActions).toEqual(['dynamodb:GetItem'])
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ALLOW_LIST_TABLE_NAME: Match.anyValue() }) },
    })
  })

  it('gives the claim certificate the provisioning topics and nothing else', () => {
    const { template } = synth()
    template.hasResourceProperties('AWS::IoT::Policy', { PolicyName: 'edgetwin_claim_policy' })
    const arn = 'arn:aws:iot:eu-west-2:123456789012'
    const statements = claimPolicyDocument(arn, 'EdgetwinFleet').Statement
    const claim = { name: 'any' }
    const t = (x: string) => `${arn}:topic/${x}`
    expect(isAllowed(statements, claim, 'iot:Connect', `${arn}:client/claim-42`)).toBe(true)
    expect(isAllowed(statements, claim, 'iot:Publish', t('$aws/certificates/create-from-csr/json'))).toBe(true)
    expect(isAllowed(statements, claim, 'iot:Subscribe', `${arn}:topicfilter/$aws/certificates/create-from-csr/json/accepted`)).toBe(true)
    expect(isAllowed(statements, claim, 'iot:Publish', t('$aws/provisioning-templates/EdgetwinFleet/provision/json'))).toBe(true)
    expect(isAllowed(statements, claim, 'iot:Receive', t('$aws/provisioning-templates/EdgetwinFleet/provision/json/accepted'))).toBe(true)
    // Another template, telemetry, jobs, everything else: refused.
    expect(isAllowed(statements, claim, 'iot:Publish', t('$aws/provisioning-templates/Other/provision/json'))).toBe(false)
    expect(isAllowed(statements, claim, 'iot:Publish', t('dt/edgetwin/vehicle/any/position'))).toBe(false)
    expect(isAllowed(statements, claim, 'iot:Subscribe', `${arn}:topicfilter/$aws/things/any/jobs/notify-next`)).toBe(false)
    expect(isAllowed(statements, claim, 'iot:Subscribe', `${arn}:topicfilter/#`)).toBe(false)
  })

  it('refuses a template name AWS would refuse, naming it', () => {
    expect(() => synth({ templateName: 'has spaces' })).toThrow(/templateName.*has spaces/)
  })
})
