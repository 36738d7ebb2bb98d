import { type ChildProcess, spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAgent } from '@edgetwin/agent'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MosquittoHandle } from '../support/mosquitto.js'
import { bundleChild } from './child.js'
import { agentConfig, Collector, tempDir } from './support.js'
import { startTlsMosquitto, type TlsBroker } from './tls-broker.js'

const WINDOW = 10
const BATCH = 100

function integrity(dataDir: string): string {
  const scratch = mkdtempSync(join(tmpdir(), 'edgetwin-integrity-'))
  try {
    for (const f of ['outbox.db', 'outbox.db-wal']) if (existsSync(join(dataDir, f))) copyFileSync(join(dataDir, f), join(scratch, f))
    const db = new Database(join(scratch, 'outbox.db'))
    try {
      return String(db.pragma('integrity_check', { simple: true }))
    } finally {
      db.close()
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}

/** Runs the child agent (test/agent/fixtures/crash-child.ts) until SIGKILL at a random moment 0–2.5 s after spawn. */
async function killOnce(child: string, config: unknown, n: number, onAccept: (key: string, mine: number) => void): Promise<boolean> {
  const proc: ChildProcess = spawn(process.execPath, [child, JSON.stringify(config), String(n)], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  proc.stderr!.on('data', (d) => {
    stderr += d
  })
  let buffered = ''
  let ready = false
  proc.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString()
    const lines = buffered.split('\n')
    buffered = lines.pop()!
    for (const line of lines) {
      if (line === 'READY') ready = true
      else if (line.startsWith('A ')) {
        const [, stream, seq, mine] = line.split(' ')
        onAccept(`${stream} ${seq}`, Number(mine))
      }
    }
  })
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)))
  const early = await Promise.race([exited, new Promise<'timer'>((r) => setTimeout(() => r('timer'), Math.random() * 2500))])
  expect(early, `child exited by itself: ${stderr}`).toBe('timer')
  proc.kill('SIGKILL')
  await exited
  return ready
}

/**
 * The crash loop (SIGKILL at any moment, then a clean drain: every accepted record arrives, duplicates bounded,
 * the outbox intact after every kill) over one transport adapter, against Mosquitto's mutual-TLS listener.
 */
export function transportCrashLoop(transport: 'mqttjs' | 'aws-iot-sdk', cycles: number): void {
  describe(`crash loop over mutual TLS: SIGKILL at any moment (transport ${transport}, MQTT 5)`, () => {
    const pki = tempDir('edgetwin-pki-')
    const tmp = tempDir()
    let broker: MosquittoHandle
    let tlsUrl: string
    let clientTls: TlsBroker['clientTls']
    beforeAll(async () => {
      ;({ broker, tlsUrl, clientTls } = await startTlsMosquitto(pki.dir))
    }, 60_000)
    afterAll(async () => {
      await broker?.stop()
      tmp.cleanup()
      pki.cleanup()
    })

    it(`loses no accepted record over ${cycles} kills, keeps duplicates bounded and the outbox intact`, async () => {
      const child = await bundleChild()
      const collector = await Collector.connect(broker.url, 'dt/edgetwin/turbine/+/+', 5)
      const config = agentConfig(tlsUrl, tmp.dir, {
        broker: {
          url: tlsUrl,
          protocolVersion: 5,
          transport,
          tls: clientTls,
        },
        publish: { inflightWindow: WINDOW, maxRecordsPerBatch: BATCH },
      })
      const accepted = new Map<string, number>() // `${stream} ${seq}` -> n
      let n = 0
      let killedBeforeReady = 0
      for (let cycle = 0; cycle < cycles; cycle++) {
        const ready = await killOnce(child, config, n, (key, mine) => {
          accepted.set(key, mine)
          n = Math.max(n, mine + 1)
        })
        if (!ready) killedBeforeReady++
        n += 1000 // the child may have created records it never reported; keep n unique
        if (existsSync(join(tmp.dir, 'outbox.db'))) expect(integrity(tmp.dir), `integrity after kill ${cycle + 1}`).toBe('ok')
      }
      rmSync(child, { force: true })
      expect(accepted.size).toBeGreaterThan(cycles * 10)

      const agent = createAgent(config)
      await agent.start()
      // One set per stream per poll: tens of thousands of keys each building a set would starve the event loop.
      const allArrived = () => {
        const got = { metrics: collector.distinct('metrics'), events: collector.distinct('events') } as Record<string, Set<number>>
        return [...accepted.keys()].every((k) => got[k.split(' ')[0]!]?.has(Number(k.split(' ')[1])))
      }
      await collector.waitForProgress(allArrived, 60_000, 'every accepted seq')
      await agent.close()

      const byKey = new Map<string, unknown>()
      for (const r of collector.records) byKey.set(`${r.stream} ${r.seq}`, r.data)
      expect([...accepted.keys()].filter((k) => !byKey.has(k))).toEqual([])
      for (const [key, mine] of accepted) {
        expect((byKey.get(key) as { time: string }).time).toBe(new Date(Date.UTC(2024, 0, 1) + mine * 1000).toISOString())
      }
      let duplicates = 0
      for (const s of ['metrics', 'events'] as const) duplicates += collector.seqs(s).length - collector.distinct(s).size
      expect(duplicates).toBeLessThanOrEqual(cycles * WINDOW * BATCH)
      expect(collector.errors).toEqual([])
      console.log(
        `crash loop over TLS, transport ${transport}: ${cycles} kills (${killedBeforeReady} before start() resolved), ${accepted.size} accepts reported, ${collector.records.length} records received, ${duplicates} duplicates, 0 lost`,
      )
      await collector.close()
    }, 600_000)
  })
}
