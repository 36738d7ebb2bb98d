import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { handler } from '../../cloud/src/lambda/pre-provisioning-hook.js'
import { startWireServer, testCredentials, type WireServer } from '../support/aws-wire.js'

// The pre-provisioning hook against a DynamoDB endpoint that answers as the DynamoDB API reference says
// (GetItem, JSON 1.0 protocol), including a throttled read.

const allowList: Record<string, Record<string, unknown>> = {
  'T-0001': { SerialNumber: { S: 'T-0001' }, Kind: { S: 'turbine' } },
  'V-0002': { SerialNumber: { S: 'V-0002' }, Kind: { S: 'vehicle' }, Revoked: { BOOL: true } },
  'X-0003': { SerialNumber: { S: 'X-0003' }, Kind: { S: 'spaceship' } },
}
let dynamo: WireServer

beforeAll(async () => {
  dynamo = await startWireServer((req) => {
    expect(req.target).toBe('DynamoDB_20120810.GetItem')
    const body = req.json()
    const serial = body.Key.SerialNumber.S as string
    if (serial === 'THROTTLE') {
      return {
        status: 400,
        body: { __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'slow down' },
      }
    }
    const item = allowList[serial]
    return { body: item ? { Item: item } : {} }
  })
  Object.assign(process.env, {
    ALLOW_LIST_TABLE_NAME: 'edgetwin-provisioning-allow-list',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    AWS_REGION: 'eu-west-2',
    AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
    AWS_MAX_ATTEMPTS: '2',
    LOG_LEVEL: 'silent',
  })
})
afterAll(() => dynamo?.close())

const event = (parameters: Record<string, string>) => ({
  claimCertificateId: 'c1aim',
  certificateId: 'cert-1',
  certificatePem: '-----BEGIN CERTIFICATE-----',
  templateArn: 'arn:aws:iot:eu-west-2:123456789012:provisioningtemplate/EdgetwinFleet',
  clientId: 'claim-123',
  parameters,
})

describe('pre-provisioning hook (DynamoDB allow-list)', () => {
  it('allows a listed serial and sets its kind from the list, whatever the device said', async () => {
    await expect(handler(event({ SerialNumber: 'T-0001', Kind: 'vehicle' }))).resolves.toEqual({
      allowProvisioning: true,
      parameterOverrides: { Kind: 'turbine' },
    })
    const read = dynamo.requests.at(-1)?.json()
    expect(read).toMatchObject({
      TableName: 'edgetwin-provisioning-allow-list',
      Key: { SerialNumber: { S: 'T-0001' } },
      ConsistentRead: true,
    })
  })

  it('refuses an unlisted, revoked or ill-kinded serial, a missing serial, a malformed event and a failed read', async () => {
    for (const serial of ['T-9999', 'V-0002', 'X-0003', 'THROTTLE']) {
      await expect(handler(event({ SerialNumber: serial }))).resolves.toEqual({ allowProvisioning: false })
    }
    await expect(handler(event({}))).resolves.toEqual({ allowProvisioning: false })
    await expect(handler({ parameters: 'nope' })).resolves.toEqual({ allowProvisioning: false })
    expect(dynamo.requests.filter((r) => r.json().Key.SerialNumber.S === 'THROTTLE').length).toBe(2)
  })
})
