import { createHash, randomBytes } from 'node:crypto'
import { renameSync, writeFileSync } from 'node:fs'
import {
  CreateCertificateFromCsrRequest,
  createValidator,
  type LocalProvisioningTemplate,
  PROVISIONING_TOPICS,
  type ProvisioningRejected,
  RegisterThingRequest,
  THING_NAME_PATTERN,
} from '@edgetwin/shared-schemas'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import type { Logger } from 'pino'
import type { LocalCa } from './local-ca.js'
import { aclGenerationTopic, claimAcl, devicesAcl } from './mosquitto-config.js'
import type { ThingRegistry } from './registry.js'

const TOKEN_TTL_MS = 3_600_000 // AWS: "certificateOwnershipToken ... expires after one hour"
const CERTIFICATE_DAYS = 825
const validateCsrRequest = createValidator(CreateCertificateFromCsrRequest)
const validateRegister = createValidator(RegisterThingRequest)
const thingNameRe = new RegExp(THING_NAME_PATTERN)

export interface ProvisioningServiceOptions {
  /** The broker's devices listener, e.g. mqtts://127.0.0.1:8883, with the provisioner's client certificate. */
  readonly brokerUrl: string
  readonly tls: Pick<IClientOptions, 'ca' | 'cert' | 'key'>
  readonly templates: readonly LocalProvisioningTemplate[]
  readonly ca: LocalCa
  readonly registry: ThingRegistry
  readonly acl: { readonly devicesAclPath: string; readonly claimAclPath: string }
  /** Makes the broker re-read its ACL and CRL files (SIGHUP to Mosquitto). */
  readonly reloadBroker: () => void | Promise<void>
  /** CreateKeysAndCertificate sends a private key over MQTT; on a local broker other claim holders could see it. */
  readonly allowCreateKeys?: boolean
  readonly logger: Logger
  readonly now?: () => number
}

/** The id the local service puts in each reply: base64url of the first 16 bytes of SHA-256(request payload). */
export function provisioningRequestId(payload: Uint8Array | string): string {
  return createHash('sha256').update(payload).digest().subarray(0, 16).toString('base64url')
}

type Reply = { readonly topic: string; readonly payload: unknown }

function parse<T>(
  validator: { check(v: unknown): boolean; errors(v: unknown): Array<{ path: string; message: string }> },
  body: unknown,
): T {
  if (validator.check(body)) return body as T
  const summary = validator
    .errors(body)
    .map((e) => `${e.path || '(root)'}: ${e.message}`)
    .join('; ')
  throw new Rejection(400, 'InvalidPayload', summary)
}

class Rejection extends Error {
  constructor(
    readonly statusCode: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message)
  }
}

/**
 * The local counterpart of AWS IoT fleet provisioning by claim: answers CreateCertificateFromCsr (and, if
 * enabled, CreateKeysAndCertificate) and RegisterThing on the same topics with the same payloads, issues device
 * certificates from the local CA, registers things in the local registry and gives each certificate exactly its
 * thing's topics in Mosquitto's ACL. A RegisterThing is answered only once the broker has loaded the ACL that
 * includes it, so a device can connect with its new certificate at once.
 *
 * Difference from IoT Core: IoT Core answers on the requesting connection only; a plain MQTT broker delivers
 * the answer to every claim client subscribed to the same topic. Hence CSRs by default (the private key never
 * travels) and CreateKeysAndCertificate off unless asked for.
 */
export class ProvisioningService {
  readonly #o: ProvisioningServiceOptions
  readonly #templates: Map<string, LocalProvisioningTemplate>
  #client: MqttClient | undefined
  #generation = 0
  #aclWaiters: Array<() => void> = []
  #aclRunning = false
  #queue: Promise<unknown> = Promise.resolve()

  constructor(options: ProvisioningServiceOptions) {
    this.#o = options
    this.#templates = new Map(options.templates.map((t) => [t.name, t]))
  }

  async start(): Promise<void> {
    writeFileSync(this.#o.acl.claimAclPath, claimAcl([...this.#templates.keys()], this.#o.allowCreateKeys ?? false))
    this.#client = await mqtt.connectAsync(this.#o.brokerUrl, {
      ...this.#o.tls,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 1000,
      rejectUnauthorized: true,
    })
    await this.#applyAcl()
    this.#client.on('message', (topic, payload) => {
      if (!topic.startsWith('$aws/')) return // the ACL probes (#waitForGeneration)
      // One request at a time: the registry and the ACL change in order, and replies keep their order.
      this.#queue = this.#queue
        .then(() => this.#handle(topic, payload))
        .catch((err) => this.#o.logger.error({ err, topic }, 'provisioning request failed'))
    })
    await this.#client.subscribeAsync(
      [
        PROVISIONING_TOPICS.createFromCsr,
        PROVISIONING_TOPICS.createKeys,
        ...[...this.#templates.keys()].map(PROVISIONING_TOPICS.registerThing),
      ],
      { qos: 1 },
    )
    this.#o.logger.info({ templates: [...this.#templates.keys()] }, 'local fleet provisioning ready')
  }

  async close(): Promise<void> {
    await this.#queue
    await this.#client?.endAsync()
    this.#client = undefined
  }

  async #handle(topic: string, payload: Buffer): Promise<void> {
    // A plain broker delivers a reply to every claim client subscribed to the topic, not only the requester:
    // each reply names its request (SHA-256 of its payload) so a device keeps only its own. IoT Core needs none.
    const requestId = provisioningRequestId(payload)
    let replies: Reply[]
    try {
      replies = await this.#answer(topic, payload)
    } catch (err) {
      const r = err instanceof Rejection ? err : new Rejection(500, 'InternalFailure', 'the provisioning service failed; try again')
      if (!(err instanceof Rejection)) this.#o.logger.error({ err, topic }, 'provisioning request failed')
      const rejected: ProvisioningRejected = { statusCode: r.statusCode, errorCode: r.errorCode, errorMessage: r.message }
      replies = [{ topic: `${topic}/rejected`, payload: rejected }]
    }
    for (const reply of replies) {
      await this.#client?.publishAsync(reply.topic, JSON.stringify({ ...(reply.payload as object), requestId }), { qos: 1 })
    }
  }

  async #answer(topic: string, payload: Buffer): Promise<Reply[]> {
    let body: unknown
    try {
      body = JSON.parse(payload.toString('utf8'))
    } catch {
      throw new Rejection(400, 'InvalidPayload', 'the request is not JSON')
    }
    if (topic === PROVISIONING_TOPICS.createFromCsr) {
      const request = parse<CreateCertificateFromCsrRequest>(validateCsrRequest, body)
      // The certificate's CN is its id, so the broker's username for it (use_identity_as_username) is the id
      // the ACL grants its thing's topics to once RegisterThing attaches a thing.
      const certificateId = randomBytes(32).toString('hex')
      const issued = await this.#o.ca.signCsr(request.certificateSigningRequest, certificateId, CERTIFICATE_DAYS).catch((err: Error) => {
        throw new Rejection(400, 'InvalidCSR', err.message)
      })
      return [{ topic: `${topic}/accepted`, payload: await this.#pending({ ...issued, certificateId }) }]
    }
    if (topic === PROVISIONING_TOPICS.createKeys) {
      if (!this.#o.allowCreateKeys) {
        throw new Rejection(
          403,
          'Forbidden',
          'CreateKeysAndCertificate is off on this broker (replies are visible to other claim holders); send a CSR to $aws/certificates/create-from-csr/json',
        )
      }
      const certificateId = randomBytes(32).toString('hex')
      const made = await this.#o.ca.issueKeyAndCertificate(certificateId, CERTIFICATE_DAYS)
      return [
        { topic: `${topic}/accepted`, payload: { ...(await this.#pending({ ...made, certificateId })), privateKey: made.privateKeyPem } },
      ]
    }
    const name = /^\$aws\/provisioning-templates\/([^/]+)\/provision\/json$/.exec(topic)?.[1]
    const template = name ? this.#templates.get(name) : undefined
    if (!template) throw new Rejection(404, 'ResourceNotFound', `no provisioning template ${name ?? ''}`)
    const request = parse<RegisterThingRequest>(validateRegister, body)
    return [
      { topic: `${topic}/accepted`, payload: await this.#register(template, request.certificateOwnershipToken, request.parameters ?? {}) },
    ]
  }

  async #pending(cert: { certificateId: string; serialHex: string; certificatePem: string }) {
    const token = randomBytes(32).toString('base64url')
    this.#o.registry.addPending({ ...cert, token, tokenExpiresMs: (this.#o.now ?? Date.now)() + TOKEN_TTL_MS })
    return { certificateId: cert.certificateId, certificatePem: cert.certificatePem, certificateOwnershipToken: token }
  }

  async #register(template: LocalProvisioningTemplate, token: string, parameters: Record<string, string>) {
    const cert = this.#o.registry.byToken(token)
    if (!cert) throw new Rejection(400, 'InvalidCertificateOwnershipToken', 'unknown certificateOwnershipToken')
    if (cert.tokenUsed) throw new Rejection(400, 'InvalidCertificateOwnershipToken', 'this certificateOwnershipToken has already been used')
    if (cert.tokenExpiresMs < (this.#o.now ?? Date.now)())
      throw new Rejection(400, 'InvalidCertificateOwnershipToken', 'the certificateOwnershipToken has expired (1 hour)')
    const serial = parameters.SerialNumber ?? null
    // The local pre-provisioning hook: the serial must be on the allow-list, and provision once.
    if (template.allowedSerials && (serial === null || !template.allowedSerials.includes(serial))) {
      throw new Rejection(403, 'AccessDenied', `serial ${serial ?? '(none)'} is not allowed by template ${template.name}`)
    }
    const missing: string[] = []
    const thingName = template.thingName.replace(/\{([A-Za-z][A-Za-z0-9]*)\}/g, (_m, p: string) => {
      const v = parameters[p]
      if (v === undefined) missing.push(p)
      return v ?? ''
    })
    if (missing.length > 0)
      throw new Rejection(400, 'InvalidParameters', `template ${template.name} needs parameter(s) ${missing.join(', ')}`)
    if (!thingNameRe.test(thingName) || thingName.length > 128) {
      throw new Rejection(400, 'InvalidParameters', `thing name '${thingName}' is not valid ([a-zA-Z0-9:_-], at most 128)`)
    }
    const existing = (serial !== null ? this.#o.registry.thingBySerial(serial) : undefined) ?? this.#o.registry.thing(thingName)
    if (existing && !template.allowReprovisioning) {
      throw new Rejection(409, 'ResourceConflict', `thing ${existing.thingName} is already provisioned; a claim provisions a device once`)
    }
    const { previousCertificateId } = this.#o.registry.register({ token, thingName, kind: template.kind, serial, template: template.name })
    if (previousCertificateId) {
      const old = this.#o.registry.certificateSerial(previousCertificateId)
      if (old) await this.#o.ca.revoke(old)
    }
    await this.#applyAcl()
    this.#o.logger.info({ thingName, template: template.name }, 'thing provisioned')
    return { thingName, deviceConfiguration: { kind: template.kind } }
  }

  /** Writes the ACL (and CRL) the registry implies, reloads the broker, and waits until the broker uses it. */
  #applyAcl(): Promise<void> {
    return new Promise((resolve) => {
      this.#aclWaiters.push(resolve)
      if (!this.#aclRunning) void this.#aclLoop()
    })
  }

  async #aclLoop(): Promise<void> {
    this.#aclRunning = true
    try {
      while (this.#aclWaiters.length > 0) {
        const waiters = this.#aclWaiters
        this.#aclWaiters = []
        const generation = ++this.#generation
        const tmp = `${this.#o.acl.devicesAclPath}.tmp`
        writeFileSync(tmp, devicesAcl(this.#o.registry.things(), generation))
        renameSync(tmp, this.#o.acl.devicesAclPath)
        await this.#o.reloadBroker()
        await this.#waitForGeneration(generation)
        for (const w of waiters) w()
      }
    } finally {
      this.#aclRunning = false
    }
  }

  /**
   * Mosquitto 2 checks a subscription against the ACL when it delivers, not when it acknowledges the SUBSCRIBE:
   * a probe published on the generation's topic reaches us only once the broker has loaded that ACL file.
   */
  async #waitForGeneration(generation: number): Promise<void> {
    const client = this.#client
    if (!client) return
    const topic = aclGenerationTopic(generation)
    let arrived = false
    const onMessage = (t: string) => {
      if (t === topic) arrived = true
    }
    client.on('message', onMessage)
    try {
      await client.subscribeAsync(topic, { qos: 0 })
      for (let delayMs = 5; !arrived; delayMs = Math.min(delayMs * 2, 200)) {
        await client.publishAsync(topic, '', { qos: 0 })
        await new Promise((r) => setTimeout(r, delayMs))
      }
      await client.unsubscribeAsync(topic)
    } finally {
      client.off('message', onMessage)
    }
  }
}
