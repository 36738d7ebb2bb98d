import { type ChildProcess, spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAgent } from '@edgetwin/agent'
import type { StreamName } from '@edgetwin/shared-schemas'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { bundleChild } from './child.js'
import { agentConfig, Collector, mosquittoSuite } from './support.js'

const WINDOW = 10
const BATCH = 100
const STREAMS: StreamName[] = ['metrics', 'events']

/** integrity_check on a copy of the outbox and its WAL, so the check never touches the file the agent owns. */
export function integrityOfCopy(dataDir: string): string {
  const scratch = mkdtempSync(join(tmpdir(), 'edgetwin-integrity-'))
  try {
    copyFileSync(join(dataDir, 'outbox.db'), join(scratch, 'outbox.db'))
    if (existsSync(join(dataDir, 'outbox.db-wal'))) copyFileSync(join(dataDir, 'outbox.db-wal'), join(scratch, 'outbox.db-wal'))
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

/**
 * Kills a child agent with SIGKILL at a random moment 0–2.5 s after it was spawned (so also during start-up,
 * before its outbox or connection is open) while it feeds two streams, `cycles` times, then drains with a clean
 * run: every accepted record arrives, duplicates stay bounded, the outbox stays intact after every kill.
 */
export function crashLoopSuite(cycles: number, protocolVersion: 4 | 5, feed: 'accept' | 'many' = 'accept'): void {
  const by = feed === 'many' ? ', acceptMany' : ''
  describe(`crash loop: SIGKILL at any moment (MQTT ${protocolVersion === 4 ? '3.1.1' : '5'}, two streams${by})`, () => {
    const suite = mosquittoSuite()

    it(`loses no accepted record over ${cycles} kills, keeps duplicates bounded and the outbox intact`, async () => {
      const child = await bundleChild()
      const collector = await Collector.connect(suite.broker.url, 'dt/edgetwin/turbine/+/+', protocolVersion)
      const config = agentConfig(suite.broker.url, suite.dir, {
        broker: { url: suite.broker.url, protocolVersion },
        publish: { inflightWindow: WINDOW, maxRecordsPerBatch: BATCH },
      })
      const accepted = new Map<string, number>() // `${stream} ${seq}` -> n
      let n = 0
      let killedBeforeReady = 0
      let lastStartMs = 1000
      for (let cycle = 0; cycle < cycles; cycle++) {
        const proc: ChildProcess = spawn(process.execPath, [child, JSON.stringify(config), String(n), feed], {
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let stderr = ''
        proc.stderr!.on('data', (d) => {
          stderr += d
        })
        let buffered = ''
        let ready = false
        let onReady: () => void = () => {}
        const readyOrExit = () =>
          new Promise<'ready'>((r) => {
            if (ready) r('ready')
            else onReady = () => r('ready')
          })
        proc.stdout!.on('data', (d: Buffer) => {
          buffered += d.toString()
          const lines = buffered.split('\n')
          buffered = lines.pop()!
          for (const line of lines) {
            if (line === 'READY') {
              ready = true
              onReady()
            } else if (line.startsWith('A ')) {
              const [, stream, seq, mine] = line.split(' ')
              accepted.set(`${stream} ${seq}`, Number(mine))
              n = Math.max(n, Number(mine) + 1)
            }
          }
        })
        const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)))
        // Every fourth kill lands during start-up (a random part of the last start's duration); the others at a
        // random moment 0–2.5 s after start() resolved, so each cycle runs as long on a busy machine as on a quiet one.
        const duringStartUp = cycle % 4 === 0
        const spawnedAt = Date.now()
        if (!duringStartUp) {
          const started = await Promise.race([readyOrExit(), exited])
          expect(started, `child exited by itself: ${stderr}`).toBe('ready')
          lastStartMs = Date.now() - spawnedAt
        }
        const delayMs = duringStartUp ? Math.random() * lastStartMs : Math.random() * 2500
        const early = await Promise.race([exited, new Promise<'timer'>((r) => setTimeout(() => r('timer'), delayMs))])
        expect(early, `child exited by itself: ${stderr}`).toBe('timer')
        proc.kill('SIGKILL')
        await exited
        if (!ready) killedBeforeReady++
        n += 1000 // the child may have created records it never reported; keep n unique
        if (existsSync(join(suite.dir, 'outbox.db'))) expect(integrityOfCopy(suite.dir), `integrity after kill ${cycle + 1}`).toBe('ok')
      }
      expect(accepted.size).toBeGreaterThan(cycles * 10)

      // A last, clean run drains the outbox.
      const agent = createAgent(config)
      await agent.start()
      const allArrived = () => {
        const got = new Set(collector.records.map((r) => `${r.stream} ${r.seq}`))
        for (const k of accepted.keys()) if (!got.has(k)) return false
        return true
      }
      await collector.waitForProgress(allArrived, 60_000, 'every accepted seq')
      await agent.close()
      rmSync(child, { force: true })

      const byKey = new Map<string, unknown>()
      for (const r of collector.records) byKey.set(`${r.stream} ${r.seq}`, r.data)
      expect([...accepted.keys()].filter((k) => !byKey.has(k))).toEqual([])
      for (const [key, mine] of accepted) {
        expect((byKey.get(key) as { time: string }).time).toBe(new Date(Date.UTC(2024, 0, 1) + mine * 1000).toISOString())
      }
      let duplicates = 0
      for (const s of STREAMS) duplicates += collector.seqs(s).length - collector.distinct(s).size
      expect(duplicates).toBeLessThanOrEqual(cycles * WINDOW * BATCH)
      expect(collector.errors).toEqual([])
      console.log(
        `crash loop MQTT ${protocolVersion}${by}: ${cycles} kills (${killedBeforeReady} before start() resolved), ${accepted.size} accepts reported, ${collector.records.length} records received, ${duplicates} duplicates`,
      )
      await collector.close()
    }, 600_000)
  })
}
