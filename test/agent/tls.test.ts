import { chmodSync, copyFileSync } from 'node:fs'
import { join } from 'node:path'
import { createAgent } from '@edgetwin/agent'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MosquittoHandle, startMosquitto } from '../support/mosquitto.js'
import { freePort } from '../support/ports.js'
import { agentConfig, Collector, sample, tempDir } from './support.js'
import { makeTestPki } from './tls-ca.js'

type Listener = 'good' | 'untrusted' | 'expired' | 'wronghost'
const SERVER_CERT: Record<Listener, string> = { good: 'server', untrusted: 'untrusted', expired: 'expired', wronghost: 'wronghost' }

describe('TLS and mutual TLS (test CA made with openssl, Mosquitto TLS listeners)', () => {
  const pki = tempDir('edgetwin-pki-')
  const data = tempDir()
  const ports = {} as Record<Listener, number>
  let broker: MosquittoHandle

  beforeAll(async () => {
    makeTestPki(pki.dir)
    const blocks: string[] = []
    for (const l of Object.keys(SERVER_CERT) as Listener[]) {
      ports[l] = await freePort()
      const cert = SERVER_CERT[l]
      blocks.push(
        `listener ${ports[l]} 127.0.0.1`,
        `cafile ${join(pki.dir, 'ca.crt')}`,
        `certfile ${join(pki.dir, `${cert}.crt`)}`,
        `keyfile ${join(pki.dir, `${cert}.key`)}`,
        'require_certificate true',
      )
    }
    broker = await startMosquitto({ extraConfig: blocks.join('\n') })
  }, 60_000)
  afterAll(async () => {
    await broker?.stop()
    pki.cleanup()
    data.cleanup()
  })

  const tlsConfig = (listener: Listener, dir: string) =>
    agentConfig(`mqtts://127.0.0.1:${ports[listener]}`, dir, {
      broker: {
        url: `mqtts://127.0.0.1:${ports[listener]}`,
        protocolVersion: 5,
        tls: { caFile: join(pki.dir, 'ca.crt'), certFile: join(pki.dir, 'client.crt'), keyFile: join(pki.dir, 'client.key') },
      },
      reconnect: { initialDelayMs: 100, maxDelayMs: 300, stableAfterMs: 1000 },
    })

  it('delivers over mutual TLS', async () => {
    const collector = await Collector.connect(broker.url, 'dt/edgetwin/turbine/+/metrics', 5)
    const agent = createAgent(tlsConfig('good', join(data.dir, 'good')))
    await agent.start()
    try {
      const { seq } = await agent.accept('metrics', sample(1))
      await collector.waitFor(() => collector.distinct('metrics').has(seq!), 10_000, 'the record over mTLS')
      expect(agent.health().connection).toBe('connected')
    } finally {
      await agent.close()
      await collector.close()
    }
  })

  for (const [listener, reason] of [
    ['untrusted', /unable to verify the first certificate|self[- ]signed/i],
    ['expired', /expired/i],
    ['wronghost', /does not match|altnames|Hostname/i],
  ] as const) {
    it(`refuses a server certificate that is ${listener === 'untrusted' ? 'from the wrong CA' : listener === 'expired' ? 'expired' : 'for the wrong host'}`, async () => {
      const agent = createAgent(tlsConfig(listener, join(data.dir, listener)))
      await agent.start()
      try {
        // Still a store-and-forward agent: it accepts and keeps records while it cannot connect.
        await agent.accept('metrics', sample(1))
        for (let i = 0; i < 100 && !agent.health().lastError; i++) await new Promise((r) => setTimeout(r, 50))
        await new Promise((r) => setTimeout(r, 300))
        const h = agent.health()
        expect(h.connection).not.toBe('connected')
        expect(h.counters.acked).toBe(0)
        expect(h.queueDepth).toBe(1)
        expect(h.lastError?.message).toMatch(reason)
      } finally {
        await agent.close()
      }
    })
  }

  it('refuses to start when the private key is readable by group or others', () => {
    const loose = join(pki.dir, 'loose.key')
    copyFileSync(join(pki.dir, 'client.key'), loose)
    chmodSync(loose, 0o640)
    const config = tlsConfig('good', join(data.dir, 'loose'))
    const broker = config.broker as Record<string, unknown>
    broker.tls = { ...(broker.tls as object), keyFile: loose }
    expect(() => createAgent(config)).toThrow(
      expect.objectContaining({ code: 'AGENT_KEY_PERMISSIONS', message: expect.stringMatching(/chmod 600/) }),
    )
  })
})
