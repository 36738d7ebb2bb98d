import { X509Certificate } from 'node:crypto'
import { join } from 'node:path'
import { type ProvisionedIdentity, provisionByClaim } from '@edgetwin/agent/provisioning'
import { ProvisioningService, ThingRegistry } from '@edgetwin/cloud/provisioning'
import { createValidator, LocalProvisioningTemplate, PROVISIONING_TOPICS } from '@edgetwin/shared-schemas'
import mqtt, { type MqttClient } from 'mqtt'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTlsBroker, type TlsBroker } from './support.js'

// Fleet provisioning by claim against the local service and a real Mosquitto with mTLS and per-certificate ACLs:
// 100 devices at once, each with its own certificate and only its own topics.

const DEVICES = 100
const SERIALS = Array.from({ length: DEVICES + 2 }, (_, i) => `SN-${String(i).padStart(4, '0')}`)
const template = createValidator(LocalProvisioningTemplate).parse({
  name: 'TurbineFleet',
  thingName: 'turbine-{SerialNumber}',
  kind: 'turbine',
  allowedSerials: SERIALS,
  allowReprovisioning: false,
  certificateDays: 30,
})

let broker: TlsBroker
let registry: ThingRegistry
let service: ProvisioningService
const clients: MqttClient[] = []

beforeAll(async () => {
  broker = await startTlsBroker([template.name])
  registry = new ThingRegistry(join(broker.dir, 'registry.db'))
  service = new ProvisioningService({
    brokerUrl: broker.devicesUrl,
    tls: { ca: broker.ca.certificatePem, cert: broker.provisioner.cert, key: broker.provisioner.key },
    templates: [template],
    ca: broker.ca,
    registry,
    acl: { devicesAclPath: broker.paths.devicesAcl, claimAclPath: broker.paths.claimAcl },
    reloadBroker: () => broker.reload(),
    logger: pino({ level: 'warn' }),
  })
  await service.start()
}, 120_000)

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.endAsync(true)))
  await service?.close()
  registry?.close()
  await broker?.stop()
})

function connect(url: string, id: { cert: string; key: string }, clientId?: string): Promise<MqttClient> {
  return mqtt
    .connectAsync(url, {
      ca: broker.ca.certificatePem,
      cert: id.cert,
      key: id.key,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 30_000,
      ...(clientId ? { clientId } : {}),
    })
    .then((c) => {
      clients.push(c)
      return c
    })
}

const claim = () => ({ claimCertPem: broker.claim.cert, claimKeyPem: broker.claim.key, caPem: broker.ca.certificatePem })

describe('fleet provisioning by claim, locally', () => {
  const provisioned: ProvisionedIdentity[] = []

  it('provisions 100 devices at once, each with a unique certificate named by its own id', async () => {
    const results = await Promise.all(
      SERIALS.slice(0, DEVICES).map((serial) =>
        provisionByClaim({
          brokerUrl: broker.claimUrl,
          ...claim(),
          template: template.name,
          parameters: { SerialNumber: serial },
          timeoutMs: 120_000,
        }),
      ),
    )
    provisioned.push(...results)
    expect(new Set(results.map((r) => r.thingName)).size).toBe(DEVICES)
    expect(new Set(results.map((r) => r.certificateId)).size).toBe(DEVICES)
    expect(results.map((r) => r.thingName).sort()).toEqual(SERIALS.slice(0, DEVICES).map((s) => `turbine-${s}`))
    for (const r of results) {
      const cert = new X509Certificate(r.certificatePem)
      expect(cert.subject).toBe(`CN=${r.certificateId}`)
      expect(cert.verify(new X509Certificate(broker.ca.certificatePem).publicKey)).toBe(true)
      expect(cert.checkPrivateKey(await import('node:crypto').then((c) => c.createPrivateKey(r.privateKeyPem)))).toBe(true)
      expect(r.deviceConfiguration).toMatchObject({ kind: 'turbine' })
    }
    expect(registry.things().map((t) => t.thingName)).toHaveLength(DEVICES)
  }, 300_000)

  it('lets each device publish its telemetry and receive its jobs, and nothing of anyone else', async () => {
    const cloud = await connect(broker.devicesUrl, broker.cloud)
    const seen = new Set<string>()
    cloud.on('message', (topic) => seen.add(topic))
    await cloud.subscribeAsync('dt/edgetwin/#', { qos: 1 })

    const devices = await Promise.all(provisioned.map((p) => connect(broker.devicesUrl, { cert: p.certificatePem, key: p.privateKeyPem })))
    const jobs = new Map<string, string>()
    await Promise.all(
      devices.map(async (d, i) => {
        const thing = provisioned[i]!.thingName
        d.on('message', (topic, payload) => {
          if (topic === `$aws/things/${thing}/jobs/notify-next`) jobs.set(thing, payload.toString())
        })
        const granted = await d.subscribeAsync(`$aws/things/${thing}/jobs/notify-next`, { qos: 1 })
        expect(granted[0]?.qos).toBe(1)
        await d.publishAsync(`dt/edgetwin/turbine/${thing}/metrics`, 'hello', { qos: 1 })
      }),
    )
    for (const p of provisioned) {
      await cloud.publishAsync(
        `$aws/things/${p.thingName}/jobs/notify-next`,
        JSON.stringify({ execution: { jobId: `job-${p.thingName}` } }),
        { qos: 1 },
      )
    }
    await waitUntil(() => seen.size === DEVICES && jobs.size === DEVICES, 'every telemetry message and every job notification')
    for (const p of provisioned) expect(JSON.parse(jobs.get(p.thingName) ?? '{}').execution.jobId).toBe(`job-${p.thingName}`)

    // Device 0 against device 1: another's jobs, everyone's telemetry, the provisioning replies, another's
    // telemetry topic, another kind. (Mosquitto 2 grants a SUBSCRIBE and applies the ACL on delivery.)
    const [a, b] = [devices[0]!, provisioned[1]!]
    const leaked: string[] = []
    a.on('message', (topic) => {
      if (!topic.startsWith(`$aws/things/${provisioned[0]!.thingName}/`)) leaked.push(topic)
    })
    await a.subscribeAsync(
      [`$aws/things/${b.thingName}/jobs/notify-next`, 'dt/edgetwin/#', '$aws/certificates/create-from-csr/json/accepted'],
      { qos: 1 },
    )
    jobs.clear()
    seen.clear()
    await cloud.publishAsync(`$aws/things/${b.thingName}/jobs/notify-next`, JSON.stringify({ execution: { jobId: 'second' } }), { qos: 1 })
    await devices[1]!.publishAsync(`dt/edgetwin/turbine/${b.thingName}/metrics`, 'b again', { qos: 1 })
    await waitUntil(() => jobs.has(b.thingName) && seen.has(`dt/edgetwin/turbine/${b.thingName}/metrics`), 'device 1 to get its second job')
    seen.clear()
    await a.publishAsync(`dt/edgetwin/turbine/${b.thingName}/metrics`, 'spoofed', { qos: 1 })
    await a.publishAsync(`dt/edgetwin/vehicle/${provisioned[0]!.thingName}/position`, 'wrong kind', { qos: 1 })
    await a.publishAsync(`dt/edgetwin/turbine/${provisioned[0]!.thingName}/metrics`, 'marker', { qos: 1 })
    await waitUntil(() => seen.has(`dt/edgetwin/turbine/${provisioned[0]!.thingName}/metrics`), 'the marker')
    expect([...seen]).toEqual([`dt/edgetwin/turbine/${provisioned[0]!.thingName}/metrics`])
    expect(leaked).toEqual([])
  }, 300_000)

  it('does not let one device take over another by its client id', async () => {
    const victim = provisioned[2]!
    const victimClient = await connect(broker.devicesUrl, { cert: victim.certificatePem, key: victim.privateKeyPem }, victim.certificateId)
    let victimClosed = false
    victimClient.on('close', () => {
      victimClosed = true
    })
    const attacker = provisioned[3]!
    const intruder = await connect(broker.devicesUrl, { cert: attacker.certificatePem, key: attacker.privateKeyPem }, victim.certificateId)
    // The broker forces the client id to the certificate's identity: the victim's session is untouched.
    await intruder.publishAsync(`dt/edgetwin/turbine/${attacker.thingName}/metrics`, 'x', { qos: 1 })
    await victimClient.publishAsync(`dt/edgetwin/turbine/${victim.thingName}/metrics`, 'still here', { qos: 1 })
    expect(victimClosed).toBe(false)
    expect(victimClient.connected).toBe(true)
  })

  it('refuses a reused ownership token, a serial provisioned before, and a serial not on the allow-list', async () => {
    const c = await connect(broker.claimUrl, broker.claim, `claim-test-${process.pid}`)
    const call = async (topic: string, body: object) => {
      const payload = JSON.stringify(body)
      const answer = new Promise<{ topic: string; body: Record<string, unknown> }>((resolve) => {
        const onMessage = (t: string, m: Buffer) => {
          const reply = JSON.parse(m.toString())
          if (t.startsWith(topic) && t !== topic) {
            c.off('message', onMessage)
            resolve({ topic: t, body: reply })
          }
        }
        c.on('message', onMessage)
      })
      await c.subscribeAsync([`${topic}/accepted`, `${topic}/rejected`], { qos: 1 })
      await c.publishAsync(topic, payload, { qos: 1 })
      return answer
    }
    const register = PROVISIONING_TOPICS.registerThing(template.name)
    const { Pkcs10CertificateRequestGenerator } = await import('@peculiar/x509')
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
    const keys = await crypto.subtle.generateKey(alg, true, ['sign', 'verify'])
    const csr = await Pkcs10CertificateRequestGenerator.create({ name: 'CN=x', keys, signingAlgorithm: alg })
    const created = await call(PROVISIONING_TOPICS.createFromCsr, { certificateSigningRequest: csr.toString('pem') })
    expect(created.topic).toMatch(/accepted$/)
    const token = created.body.certificateOwnershipToken as string

    const fresh = await call(register, { certificateOwnershipToken: token, parameters: { SerialNumber: SERIALS[DEVICES]! } })
    expect(fresh).toMatchObject({ topic: `${register}/accepted`, body: { thingName: `turbine-${SERIALS[DEVICES]}` } })
    const reused = await call(register, { certificateOwnershipToken: token, parameters: { SerialNumber: SERIALS[DEVICES + 1]! } })
    expect(reused).toMatchObject({
      topic: `${register}/rejected`,
      body: { statusCode: 400, errorCode: 'InvalidCertificateOwnershipToken' },
    })

    const again = await call(PROVISIONING_TOPICS.createFromCsr, { certificateSigningRequest: csr.toString('pem') })
    const twice = await call(register, {
      certificateOwnershipToken: again.body.certificateOwnershipToken,
      parameters: { SerialNumber: SERIALS[0]! },
    })
    expect(twice).toMatchObject({ topic: `${register}/rejected`, body: { statusCode: 409, errorCode: 'ResourceConflict' } })
    const third = await call(PROVISIONING_TOPICS.createFromCsr, { certificateSigningRequest: csr.toString('pem') })
    const stranger = await call(register, {
      certificateOwnershipToken: third.body.certificateOwnershipToken,
      parameters: { SerialNumber: 'SN-9999' },
    })
    expect(stranger).toMatchObject({ topic: `${register}/rejected`, body: { statusCode: 403, errorCode: 'AccessDenied' } })
    const garbage = await call(PROVISIONING_TOPICS.createFromCsr, { certificateSigningRequest: 'x'.repeat(200) })
    expect(garbage).toMatchObject({ topic: expect.stringMatching(/rejected$/), body: { statusCode: 400, errorCode: 'InvalidCSR' } })
  })

  it('refuses a revoked claim certificate at the broker', async () => {
    await broker.ca.revoke(broker.claim.serialHex)
    await broker.restart()
    await expect(
      provisionByClaim({
        brokerUrl: broker.claimUrl,
        ...claim(),
        template: template.name,
        parameters: { SerialNumber: SERIALS[DEVICES + 1]! },
        timeoutMs: 20_000,
      }),
    ).rejects.toMatchObject({ code: 'AGENT_PROVISIONING_CONNECT' })
    // A provisioned device is unaffected.
    const ok = await connect(broker.devicesUrl, { cert: provisioned[5]!.certificatePem, key: provisioned[5]!.privateKeyPem })
    expect(ok.connected).toBe(true)
  }, 120_000)
})

async function waitUntil(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
