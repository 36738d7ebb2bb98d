import { chmodSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { AgentConfig } from '@edgetwin/shared-schemas'
import type * as Sdk from 'aws-iot-device-sdk-v2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAgentConfig } from '../../agent/src/config/load-config.js'
import { sdkBuilder } from '../../agent/src/transport/aws-iot-sdk-transport.js'
import { planSdkConnection } from '../../agent/src/transport/sdk-connect-plan.js'
import { tempDir } from './support.js'

const sdk = createRequire(import.meta.url)('aws-iot-device-sdk-v2') as typeof Sdk
const ENDPOINT = 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com'

/** The broker section as the agent sees it: through the shared schema, defaults filled. */
function broker(over: Record<string, unknown>): AgentConfig['broker'] {
  return parseAgentConfig({ deviceId: 'turbine-1', kind: 'turbine', broker: { protocolVersion: 5, transport: 'aws-iot-sdk', ...over } })
    .broker
}

describe('aws-iot-sdk transport: config checks and the SDK builder each auth mode maps to', () => {
  const files = tempDir('edgetwin-sdk-plan-')
  const ca = join(files.dir, 'ca.pem')
  const cert = join(files.dir, 'cert.pem')
  const key = join(files.dir, 'key.pem')
  beforeAll(() => {
    for (const f of [ca, cert, key]) writeFileSync(f, 'not parsed here\n')
    chmodSync(key, 0o600)
  })
  afterAll(() => files.cleanup())

  it('defaults to MQTT.js: the schema fills broker.transport', () => {
    const b = parseAgentConfig({ deviceId: 'turbine-1', kind: 'turbine' }).broker
    expect(b.transport).toBe('mqttjs')
  })

  it('refuses an unknown transport and unknown SDK options at the schema, naming the field', () => {
    expect(() => broker({ transport: 'paho' })).toThrow(/broker\/transport|transport/)
    expect(() => broker({ awsIotSdk: { auth: 'kerberos' } })).toThrow(/auth/)
    expect(() => broker({ awsIotSdk: { pkcs11: { libraryFile: '/x.so', pin: '1234' } } })).toThrow(/pin/)
  })

  it('mtls over mqtts:// uses newDirectMqttBuilderWithMtlsFromPath with the URL port and the CA', () => {
    const plan = planSdkConnection(broker({ url: `mqtts://${ENDPOINT}`, tls: { caFile: ca, certFile: cert, keyFile: key } }), {}, undefined)
    expect(plan).toEqual({
      builder: 'newDirectMqttBuilderWithMtlsFromPath',
      hostName: ENDPOINT,
      port: 8883,
      caFile: ca,
      certFile: cert,
      keyFile: key,
    })
  })

  it('needs MQTT 5, a scheme that fits the auth mode, and both files for mtls', () => {
    const plan = (b: Record<string, unknown>) => () => planSdkConnection(broker(b), {}, undefined)
    expect(plan({ protocolVersion: 4, url: 'mqtt://127.0.0.1:1883' })).toThrow(/broker.protocolVersion is 4.*MQTT 5 only/)
    expect(plan({ url: `mqtts://${ENDPOINT}`, tls: { caFile: ca } })).toThrow(/certFile and broker.tls.keyFile/)
    expect(plan({ url: `mqtts://${ENDPOINT}`, awsIotSdk: { auth: 'websocket-sigv4' } })).toThrow(
      /scheme mqtts: does not fit .*websocket-sigv4.*wss:/,
    )
    expect(plan({ url: `wss://${ENDPOINT}/mqtt`, awsIotSdk: { auth: 'mtls' } })).toThrow(/scheme wss: does not fit/)
    expect(plan({ url: `mqtts://${ENDPOINT}`, tls: { caFile: ca, certFile: cert, keyFile: key, serverName: 'x' } })).toThrow(/serverName/)
    chmodSync(key, 0o644)
    try {
      expect(plan({ url: `mqtts://${ENDPOINT}`, tls: { caFile: ca, certFile: cert, keyFile: key } })).toThrow(/chmod 600/)
    } finally {
      chmodSync(key, 0o600)
    }
  })

  it('pkcs11: the key stays on the token; PIN from the named environment variable', () => {
    const b = broker({
      url: `mqtts://${ENDPOINT}`,
      tls: { caFile: ca, certFile: cert },
      awsIotSdk: {
        auth: 'pkcs11',
        pkcs11: { libraryFile: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: 'edge', pinEnv: 'HSM_PIN', keyLabel: 'dev' },
      },
    })
    expect(planSdkConnection(b, { HSM_PIN: '1234' }, undefined)).toMatchObject({
      builder: 'newDirectMqttBuilderWithMtlsFromPkcs11',
      certFile: cert,
      pkcs11: { libraryFile: '/usr/lib/softhsm/libsofthsm2.so', pin: '1234', tokenLabel: 'edge', keyLabel: 'dev' },
    })
    expect(() => planSdkConnection(b, {}, undefined)).toThrow(/HSM_PIN \(broker.awsIotSdk.pkcs11.pinEnv\) is not set/)
    const withKey = broker({ url: `mqtts://${ENDPOINT}`, tls: { caFile: ca, certFile: cert, keyFile: key }, awsIotSdk: b.awsIotSdk })
    expect(() => planSdkConnection(withKey, { HSM_PIN: '1' }, undefined)).toThrow(/keyFile .* must be absent/)
    expect(() =>
      planSdkConnection(
        broker({ url: `mqtts://${ENDPOINT}`, tls: { caFile: ca, certFile: cert }, awsIotSdk: { auth: 'pkcs11' } }),
        {},
        undefined,
      ),
    ).toThrow(/needs broker.awsIotSdk.pkcs11/)
  })

  it('websocket-sigv4: the SDK builder signs for the configured region; port 443 by default', () => {
    const plan = planSdkConnection(
      broker({ url: `wss://${ENDPOINT}/mqtt`, awsIotSdk: { auth: 'websocket-sigv4', region: 'eu-west-1' } }),
      {},
      undefined,
    )
    expect(plan).toEqual({ builder: 'newWebsocketMqttBuilderWithSigv4Auth', hostName: ENDPOINT, port: 443, region: 'eu-west-1' })
    const config = sdkBuilder(sdk, plan)!.withPort(plan.port).build()
    expect(config.hostName).toBe(ENDPOINT)
    expect(config.port).toBe(443)
    expect(typeof config.websocketHandshakeTransform).toBe('function')
  })

  it('custom-authorizer: the SDK puts the authorizer in the MQTT username; password and token from the environment', () => {
    const b = broker({
      url: `mqtts://${ENDPOINT}:443`,
      username: 'device-7',
      passwordEnv: 'AUTH_PASSWORD',
      awsIotSdk: {
        auth: 'custom-authorizer',
        customAuthorizer: { name: 'EdgeAuth', tokenKeyName: 'token', tokenValueEnv: 'AUTH_TOKEN', tokenSignatureEnv: 'AUTH_SIG' },
      },
    })
    const plan = planSdkConnection(b, { AUTH_TOKEN: 'tok', AUTH_SIG: 'sig' }, 'secret')
    expect(plan.builder).toBe('newDirectMqttBuilderWithCustomAuth')
    const config = sdkBuilder(sdk, plan)!.withPort(plan.port).build()
    const username = config.connectProperties!.username!
    expect(username.startsWith('device-7?')).toBe(true)
    expect(username).toContain('x-amz-customauthorizer-name=EdgeAuth')
    expect(username).toContain('token=tok')
    expect(username).toContain('x-amz-customauthorizer-signature=sig')
    expect(Buffer.from(config.connectProperties!.password as Uint8Array).toString()).toBe('secret')
    expect(() => planSdkConnection(b, { AUTH_TOKEN: 'tok' }, 'secret')).toThrow(/AUTH_SIG/)
    const partial = broker({
      url: `mqtts://${ENDPOINT}`,
      awsIotSdk: { auth: 'custom-authorizer', customAuthorizer: { name: 'A', tokenKeyName: 't' } },
    })
    expect(() => planSdkConnection(partial, {}, undefined)).toThrow(/together/)
  })
})
