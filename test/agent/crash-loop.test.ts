import { type ChildProcess, spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { createAgent } from '@edgetwin/agent'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MosquittoHandle, startMosquitto } from '../support/mosquitto.js'
import { bundleChild } from './child.js'
import { agentConfig, Collector, tempDir } from './support.js'

const CYCLES = 50
const WINDOW = 10
const BATCH = 100

describe('crash loop: SIGKILL at random moments', () => {
  let broker: MosquittoHandle
  const tmp = tempDir()
  beforeAll(async () => {
    broker = await startMosquitto()
  })
  afterAll(async () => {
    await broker?.stop()
    tmp.cleanup()
  })

  it(`loses no accepted record over ${CYCLES} kill/restart cycles, keeps duplicates bounded and the database intact`, async () => {
    const child = await bundleChild()
    const collector = await Collector.connect(broker.url, 'dt/edgetwin/turbine/+/metrics', 5)
    const config = agentConfig(broker.url, tmp.dir, {
      broker: { url: broker.url, protocolVersion: 5 },
      publish: { inflightWindow: WINDOW, maxRecordsPerBatch: BATCH },
    })
    const accepted = new Map<number, number>() // seq -> n
    let n = 0
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const proc: ChildProcess = spawn(process.execPath, [child, JSON.stringify(config), String(n)], { stdio: ['ignore', 'pipe', 'pipe'] })
      let stderr = ''
      proc.stderr!.on('data', (d) => {
        stderr += d
      })
      let buffered = ''
      const ready = new Promise<void>((resolve, reject) => {
        proc.once('exit', (code) => reject(new Error(`child exited early (${code}): ${stderr}`)))
        proc.stdout!.on('data', (d: Buffer) => {
          buffered += d.toString()
          const lines = buffered.split('\n')
          buffered = lines.pop()!
          for (const line of lines) {
            if (line === 'READY') resolve()
            else if (line.startsWith('A ')) {
              const [, seq, mine] = line.split(' ')
              accepted.set(Number(seq), Number(mine))
              n = Math.max(n, Number(mine) + 1)
            }
          }
        })
      })
      await ready
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 200))
      const exited = new Promise((r) => proc.once('exit', r))
      proc.kill('SIGKILL')
      await exited
      n += 1000 // the child may have created records it never reported; keep n unique
      const db = new Database(join(tmp.dir, 'outbox.db'))
      expect(db.pragma('integrity_check', { simple: true }), `integrity after kill ${cycle + 1}`).toBe('ok')
      db.close()
    }
    expect(accepted.size).toBeGreaterThan(CYCLES * 10)

    const t0 = Date.now()
    // A last, clean run drains the outbox.
    const agent = createAgent(config)
    await agent.start()
    const maxSeq = Math.max(...accepted.keys())
    await collector.waitFor(
      () => {
        const got = collector.distinct('metrics')
        return [...accepted.keys()].every((s) => got.has(s))
      },
      30_000,
      'every accepted seq',
    )
    const t1 = Date.now()
    await agent.close()
    rmSync(child, { force: true })
    console.log(`drain ${t1 - t0} ms, close ${Date.now() - t1} ms`)

    const bySeq = new Map<number, unknown>()
    for (const r of collector.records) bySeq.set(r.seq, r.data)
    const lost = [...accepted.keys()].filter((s) => !bySeq.has(s))
    expect(lost).toEqual([])
    for (const [seq, mine] of accepted) {
      expect((bySeq.get(seq) as { time: string }).time).toBe(new Date(Date.UTC(2024, 0, 1) + mine * 1000).toISOString())
    }
    const duplicates = collector.records.length - new Set(collector.seqs('metrics')).size
    expect(duplicates).toBeLessThanOrEqual(CYCLES * WINDOW * BATCH)
    expect(collector.errors).toEqual([])
    rmSync(child, { force: true })
    console.log(
      `crash loop: ${CYCLES} kills, ${accepted.size} accepts reported (max seq ${maxSeq}), ${collector.records.length} records received, ${duplicates} duplicates`,
    )
    await collector.close()
  }, 120_000)
})
