import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createAgent } from '@edgetwin/agent'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MosquittoHandle } from '../support/mosquitto.js'
import { agentConfig, Collector, sample, tempDir } from './support.js'
import { startTlsMosquitto } from './tls-broker.js'

const SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so'

/**
 * mTLS with the device key held in a PKCS#11 token: SoftHSM 2 (Debian softhsm2) stands in for an HSM or TPM. The
 * client key is imported into the token and deleted from disk; the aws-iot-sdk transport signs the TLS handshake
 * through the token, against Mosquitto's listener that demands a client certificate. CI installs softhsm2; outside
 * CI a machine without it skips this file.
 */
describe.skipIf(!existsSync(SOFTHSM) && process.env.CI !== 'true')('aws-iot-sdk transport: mTLS with a PKCS#11 key (SoftHSM 2)', () => {
  const pki = tempDir('edgetwin-pki-')
  const data = tempDir()
  let broker: MosquittoHandle
  let tlsUrl: string

  beforeAll(async () => {
    ;({ broker, tlsUrl } = await startTlsMosquitto(pki.dir))
    const tokens = join(pki.dir, 'tokens')
    mkdirSync(tokens)
    writeFileSync(join(pki.dir, 'softhsm2.conf'), `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`)
    // The library reads this when the SDK loads it, in this process.
    process.env.SOFTHSM2_CONF = join(pki.dir, 'softhsm2.conf')
    const util = (args: string[]) => execFileSync('softhsm2-util', args, { stdio: ['ignore', 'ignore', 'pipe'] })
    util(['--init-token', '--free', '--label', 'edge', '--pin', '1234', '--so-pin', '5678'])
    util(['--import', join(pki.dir, 'client.key'), '--token', 'edge', '--label', 'device-key', '--id', '01', '--pin', '1234'])
    rmSync(join(pki.dir, 'client.key'))
  }, 60_000)
  afterAll(async () => {
    await broker?.stop()
    pki.cleanup()
    data.cleanup()
  })

  const config = (dir: string) =>
    agentConfig(tlsUrl, join(data.dir, dir), {
      broker: {
        url: tlsUrl,
        protocolVersion: 5,
        transport: 'aws-iot-sdk',
        tls: { caFile: join(pki.dir, 'ca.crt'), certFile: join(pki.dir, 'client.crt') },
        awsIotSdk: { auth: 'pkcs11', pkcs11: { libraryFile: SOFTHSM, tokenLabel: 'edge', pinEnv: 'EDGE_HSM_PIN', keyLabel: 'device-key' } },
      },
      reconnect: { initialDelayMs: 100, maxDelayMs: 300, stableAfterMs: 1000 },
    })

  // First: PKCS#11 login state belongs to the process, so after a good login a wrong PIN would not be asked for.
  it('does not connect with a wrong PIN, and says why', async () => {
    const agent = createAgent(config('badpin'), { env: { EDGE_HSM_PIN: '0000' } })
    await agent.start()
    try {
      for (let i = 0; i < 600 && !agent.health().lastError; i++) await new Promise((r) => setTimeout(r, 50))
      const h = agent.health()
      expect(h.connection).not.toBe('connected')
      expect(JSON.stringify(h.lastError)).toMatch(/PKCS11|CKR_PIN_INCORRECT/i)
    } finally {
      await agent.close()
    }
  })

  it('delivers a record over mTLS signed by the token (no key file on disk)', async () => {
    expect(existsSync(join(pki.dir, 'client.key'))).toBe(false)
    const collector = await Collector.connect(broker.url, 'dt/edgetwin/turbine/+/metrics', 5)
    const agent = createAgent(config('good'), { env: { EDGE_HSM_PIN: '1234' } })
    await agent.start()
    try {
      const { seq } = await agent.accept('metrics', sample(1))
      await collector.waitFor(() => collector.distinct('metrics').has(seq!), 30_000, 'the record over PKCS#11 mTLS')
      expect(agent.health().connection).toBe('connected')
      // An outage: the reconnect signs with the same token (the PKCS#11 module is loaded once); the broker's PUBACK
      // for a record accepted while it was down proves the new mutual-TLS connection.
      await broker.stop()
      await agent.accept('metrics', sample(2))
      await broker.start()
      for (let i = 0; i < 1800 && agent.health().counters.acked < 2; i++) await new Promise((r) => setTimeout(r, 50))
      expect(agent.health().counters.acked, JSON.stringify(agent.health())).toBe(2)
      expect(agent.health().counters.reconnects).toBe(1)
    } finally {
      await agent.close()
      await collector.close()
    }
  }, 180_000)
})
