import 'reflect-metadata'
import { createHash, webcrypto } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  CreateCertificateAccepted,
  createValidator,
  PROVISIONING_TOPICS,
  ProvisioningRejected,
  RegisterThingAccepted,
  TEMPLATE_NAME_PATTERN,
} from '@edgetwin/shared-schemas'
import * as x509 from '@peculiar/x509'
import mqtt, { type MqttClient } from 'mqtt'
import { AgentError } from '../errors.js'
import { ProvisioningError } from './errors.js'

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const
const validateCreated = createValidator(CreateCertificateAccepted)
const validateRegistered = createValidator(RegisterThingAccepted)
const validateRejected = createValidator(ProvisioningRejected)

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])

export interface ProvisionByClaimOptions {
  /** Where the claim certificate may connect (IoT Core's endpoint; locally the broker's claim listener). */
  readonly brokerUrl: string
  readonly caPem?: string
  readonly claimCertPem: string
  readonly claimKeyPem: string
  readonly template: string
  /** Template parameters, e.g. `{ SerialNumber: 'T-0042' }`. */
  readonly parameters: Readonly<Record<string, string>>
  /**
   * `csr` (default): the key pair is generated here and never leaves the device (CreateCertificateFromCsr).
   * `create-keys`: AWS generates the key and sends it back (CreateKeysAndCertificate).
   */
  readonly mode?: 'csr' | 'create-keys'
  readonly timeoutMs?: number
}

export interface ProvisionedIdentity {
  readonly thingName: string
  readonly certificateId: string
  readonly certificatePem: string
  readonly privateKeyPem: string
  readonly deviceConfiguration: Readonly<Record<string, string>>
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/.{1,64}/g, '$&\n')
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`
}

/** The id a local provisioning service puts in its replies (base64url of 16 bytes of SHA-256 of the request). */
function requestIdOf(payload: string): string {
  return createHash('sha256').update(payload).digest().subarray(0, 16).toString('base64url')
}

/**
 * One request/response of the fleet provisioning MQTT API: subscribe to `<topic>/accepted` and `/rejected` first
 * (AWS: "subscribe to the response topics before you publish a request"), publish, wait for the answer to this
 * request. A reply that names another request (a local broker shares replies among claim clients) is ignored.
 */
async function call(client: MqttClient, topic: string, body: object, timeoutMs: number): Promise<unknown> {
  const payload = JSON.stringify(body)
  const requestId = requestIdOf(payload)
  const accepted = `${topic}/accepted`
  const rejected = `${topic}/rejected`
  const answer = new Promise<unknown>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage)
      reject(new ProvisioningError('AGENT_PROVISIONING_TIMEOUT', `no answer on ${accepted} or ${rejected} within ${timeoutMs} ms`))
    }, timeoutMs)
    function onMessage(t: string, message: Buffer) {
      if (t !== accepted && t !== rejected) return
      let reply: { requestId?: unknown }
      try {
        reply = JSON.parse(message.toString('utf8'))
      } catch {
        return
      }
      if (reply.requestId !== undefined && reply.requestId !== requestId) return
      clearTimeout(timer)
      client.off('message', onMessage)
      if (t === accepted) return resolve(reply)
      const r = validateRejected.check(reply) ? reply : { statusCode: 0, errorCode: 'Unknown', errorMessage: JSON.stringify(reply) }
      reject(new ProvisioningError('AGENT_PROVISIONING_REJECTED', `${topic} rejected: ${r.errorCode} (${r.statusCode}): ${r.errorMessage}`))
    }
    client.on('message', onMessage)
  })
  const granted = await client.subscribeAsync([accepted, rejected], { qos: 1 })
  if (granted.some((g) => g.qos === 128)) {
    throw new ProvisioningError(
      'AGENT_PROVISIONING_REJECTED',
      `the broker refused a subscription to ${accepted}: the claim certificate's policy does not allow it`,
    )
  }
  await client.publishAsync(topic, payload, { qos: 1 })
  return answer
}

/**
 * Fleet provisioning by claim (AWS IoT Core developer guide, "Provisioning by claim"): connects with the shared
 * claim certificate, obtains a device certificate (from a CSR made here, by default), and registers the thing
 * through the named provisioning template. Works against IoT Core and the local provisioning service alike.
 */
export async function provisionByClaim(o: ProvisionByClaimOptions): Promise<ProvisionedIdentity> {
  if (!new RegExp(TEMPLATE_NAME_PATTERN).test(o.template)) {
    throw new AgentError('AGENT_INVALID_CONFIG', `template '${o.template}' is not a provisioning template name ([0-9A-Za-z_-], at most 36)`)
  }
  const timeoutMs = o.timeoutMs ?? 30_000
  let client: MqttClient
  try {
    client = await mqtt.connectAsync(o.brokerUrl, {
      ...(o.caPem ? { ca: o.caPem } : {}),
      cert: o.claimCertPem,
      key: o.claimKeyPem,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: timeoutMs,
      clientId: `claim-${webcrypto.randomUUID()}`,
    })
  } catch (err) {
    throw new ProvisioningError(
      'AGENT_PROVISIONING_CONNECT',
      `cannot connect to ${o.brokerUrl} with the claim certificate: ${(err as Error).message}`,
      { cause: err },
    )
  }
  try {
    let privateKeyPem: string
    let created: CreateCertificateAccepted
    if ((o.mode ?? 'csr') === 'csr') {
      const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair
      const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=edgetwin-device', keys, signingAlgorithm: ALG })
      const reply = await call(client, PROVISIONING_TOPICS.createFromCsr, { certificateSigningRequest: csr.toString('pem') }, timeoutMs)
      created = validateCreated.parse(reply)
      privateKeyPem = pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey))
      const ours = Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey))
      const issued = Buffer.from(new x509.X509Certificate(created.certificatePem).publicKey.rawData)
      if (!ours.equals(issued))
        throw new ProvisioningError('AGENT_PROVISIONING_REJECTED', 'the certificate issued is not for the key this device generated')
    } else {
      created = validateCreated.parse(await call(client, PROVISIONING_TOPICS.createKeys, {}, timeoutMs))
      if (!created.privateKey)
        throw new ProvisioningError('AGENT_PROVISIONING_REJECTED', 'CreateKeysAndCertificate answered without a privateKey')
      privateKeyPem = created.privateKey
    }
    const registered = validateRegistered.parse(
      await call(
        client,
        PROVISIONING_TOPICS.registerThing(o.template),
        { certificateOwnershipToken: created.certificateOwnershipToken, parameters: o.parameters },
        timeoutMs,
      ),
    )
    return {
      thingName: registered.thingName,
      certificateId: created.certificateId,
      certificatePem: created.certificatePem,
      privateKeyPem,
      deviceConfiguration: registered.deviceConfiguration ?? {},
    }
  } finally {
    await client.endAsync().catch(() => {})
  }
}

/** Where `applyIdentity` put the device's files. */
export interface AppliedIdentity {
  readonly keyFile: string
  readonly certFile: string
  readonly configFile: string
}

/**
 * Writes the new key (mode 0600) and certificate beside each other and points the agent config at them, with the
 * thing name as `deviceId`. Each file is written to a temporary name and renamed, so an interrupted run leaves
 * the old config intact.
 */
export function applyIdentity(identity: ProvisionedIdentity, configFile: string, outDir: string): AppliedIdentity {
  const keyFile = join(outDir, `${identity.thingName}.private.key`)
  const certFile = join(outDir, `${identity.thingName}.cert.pem`)
  try {
    mkdirSync(outDir, { recursive: true, mode: 0o700 })
    const atomic = (path: string, text: string, mode: number) => {
      writeFileSync(`${path}.tmp`, text, { mode })
      chmodSync(`${path}.tmp`, mode)
      renameSync(`${path}.tmp`, path)
    }
    atomic(keyFile, identity.privateKeyPem, 0o600)
    atomic(certFile, identity.certificatePem, 0o644)
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as { deviceId?: string; kind?: string; broker?: { tls?: object } }
    config.deviceId = identity.thingName
    const kind = identity.deviceConfiguration.kind
    if (kind && !config.kind) config.kind = kind
    // IoT Core admits a connection only with the thing name as client id; the agent defaults it to deviceId.
    const broker = { ...(config.broker ?? {}), tls: { ...(config.broker?.tls ?? {}), certFile, keyFile } } as Record<string, unknown>
    if (broker.clientId !== undefined) broker.clientId = identity.thingName
    config.broker = broker
    atomic(configFile, `${JSON.stringify(config, null, 2)}\n`, 0o600)
  } catch (err) {
    throw new ProvisioningError(
      'AGENT_PROVISIONING_FILES',
      `cannot write the device identity to ${outDir} and ${configFile}: ${(err as Error).message}`,
      {
        cause: err,
      },
    )
  }
  return { keyFile, certFile, configFile }
}
