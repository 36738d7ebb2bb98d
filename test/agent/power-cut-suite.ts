import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, fsyncSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { createAgent } from '@edgetwin/agent'
import { STREAMS } from '@edgetwin/shared-schemas'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from '../support/ports.js'
import { mountPowerCutFs, type PowerCutMount } from '../support/power-cut.js'
import { bundleChild } from './child.js'
import { integrityOfCopy } from './crash-loop-suite.js'
import { agentConfig, Collector, mosquittoSuite, tempDir } from './support.js'

/** The outbox's rows as `<stream index> <seq>` (a row id is the stream's index × 2^48 + seq: agent/src/outbox/schema.ts). */
function storedKeys(dataDir: string): Set<string> {
  const db = new Database(join(dataDir, 'outbox.db'), { readonly: true })
  try {
    const ids = db.prepare('SELECT id FROM outbox').pluck().all() as number[]
    return new Set(ids.map((id) => `${Math.floor(id / 2 ** 48)} ${id % 2 ** 48}`))
  } finally {
    db.close()
  }
}

/** A record's key as storedKeys gives it: the stream's index in STREAMS (the outbox's row-id prefix) and its seq. */
const keyOf = (stream: string, seq: number | string) => `${(STREAMS as readonly string[]).indexOf(stream)} ${seq}`

/**
 * Runs the crash child (test/agent/fixtures/crash-child.ts) with its outbox on the power-cut filesystem, feeding two
 * streams, and cuts the power at a random moment 0.3–2 s after it is ready: the filesystem process dies first (the
 * writes it held and nobody synced are gone), then the agent. Returns the accepts the child reported.
 */
async function feedThenCut(
  child: string,
  config: Record<string, unknown>,
  firstN: number,
  fs: PowerCutMount,
): Promise<Map<string, number>> {
  const accepted = new Map<string, number>()
  const proc: ChildProcess = spawn(process.execPath, [child, JSON.stringify(config), String(firstN)], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  proc.stderr!.on('data', (d) => {
    stderr += d
  })
  let buffered = ''
  let ready!: () => void
  const readyP = new Promise<void>((r) => {
    ready = r
  })
  proc.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString()
    const lines = buffered.split('\n')
    buffered = lines.pop()!
    for (const line of lines) {
      if (line === 'READY') ready()
      else if (line.startsWith('A ')) {
        const [, stream, seq, n] = line.split(' ')
        accepted.set(keyOf(stream!, seq!), Number(n))
      }
    }
  })
  const exited = new Promise<number | null>((r) => proc.once('exit', r))
  const first = await Promise.race([readyP.then(() => 'ready' as const), exited])
  expect(first, `child exited before it was ready: ${stderr}`).toBe('ready')
  // Wait for accepts to flow, then a random moment more: the cut lands anywhere in the commit/sync cycle.
  while (accepted.size < 200) {
    const r = await Promise.race([exited.then(() => 'exited' as const), new Promise((res) => setTimeout(() => res('tick'), 20))])
    expect(r, `child exited by itself: ${stderr}`).toBe('tick')
  }
  await new Promise((r) => setTimeout(r, 300 + Math.random() * 1700))
  await fs.cut()
  proc.kill('SIGKILL')
  await exited
  return accepted
}

/**
 * The power-cut tests: the filesystem's own check, `cuts` power cuts under FULL (0 accepted records lost), and the
 * NORMAL control. power-cut.test.ts runs 4 cuts in npm test; faults.soak.test.ts runs more.
 */
export function powerCutSuite(cuts: number): void {
  describe('power cut: a disk that keeps only what was synced (FUSE; its cache dies with its process)', () => {
    const dirs = tempDir('edgetwin-power-cut-')
    afterAll(() => dirs.cleanup())

    it('the filesystem under test: written and synced data survives the cut, written and unsynced data does not', async () => {
      const backing = join(dirs.dir, 'harness-backing')
      const fs = await mountPowerCutFs(backing, join(dirs.dir, 'harness-mnt'))
      try {
        const fd = openSync(join(fs.mount, 'f'), 'w')
        writeSync(fd, 'synced;')
        fsyncSync(fd)
        writeSync(fd, 'not synced')
        closeSync(fd)
        expect(readFileSync(join(fs.mount, 'f'), 'utf8')).toBe('synced;not synced')
      } finally {
        await fs.cut()
      }
      expect(readFileSync(join(backing, 'f'), 'utf8')).toBe('synced;')
    })

    describe('synchronous=FULL (the default)', () => {
      const suite = mosquittoSuite()
      const CUTS = cuts

      it(
        `loses no accepted record over ${CUTS} power cuts, and the outbox opens intact after each`,
        async () => {
          const child = await bundleChild()
          const backing = join(dirs.dir, 'full-backing')
          const mount = join(dirs.dir, 'full-mnt')
          const collector = await Collector.connect(suite.broker.url, 'dt/edgetwin/turbine/+/+', 4)
          const accepted = new Map<string, number>()
          try {
            let n = 0
            for (let cut = 0; cut < CUTS; cut++) {
              const fs = await mountPowerCutFs(backing, mount)
              const config = agentConfig(suite.broker.url, join(fs.mount, 'agent'), {
                publish: { inflightWindow: 10, maxRecordsPerBatch: 100 },
              })
              let last = n
              for (const [k, v] of await feedThenCut(child, config, n, fs)) {
                accepted.set(k, v)
                last = Math.max(last, v)
              }
              expect(integrityOfCopy(join(backing, 'agent')), `integrity after cut ${cut + 1}`).toBe('ok')
              // The child may have made records it never reported: keep n unique.
              n = last + 1000
            }
            expect(accepted.size).toBeGreaterThan(CUTS * 200)
            // After the last cut the device comes back on what the disk kept: a clean run drains it.
            const agent = createAgent(agentConfig(suite.broker.url, join(backing, 'agent')))
            await agent.start()
            const allArrived = () => {
              const got = new Set(collector.records.map((r) => keyOf(r.stream, r.seq)))
              for (const k of accepted.keys()) if (!got.has(k)) return false
              return true
            }
            await collector.waitForProgress(allArrived, 60_000, 'every accepted seq after the power cuts')
            await agent.close()
            const got = new Map(collector.records.map((r) => [keyOf(r.stream, r.seq), r.data as { time: string }]))
            const lost = [...accepted.keys()].filter((k) => !got.has(k))
            expect(lost).toEqual([])
            for (const [key, mine] of accepted) expect(got.get(key)!.time).toBe(new Date(Date.UTC(2024, 0, 1) + mine * 1000).toISOString())
            expect(collector.errors).toEqual([])
            console.log(
              `power cuts, FULL: ${CUTS} cuts, ${accepted.size} accepts reported, ${collector.records.length} records received, 0 lost`,
            )
          } finally {
            await collector.close()
            rmSync(child, { force: true })
          }
        },
        Math.max(300_000, cuts * 15_000),
      )
    })

    it('control, synchronous=NORMAL: the same cuts lose records whose accept had resolved (so the cut is real)', async () => {
      const child = await bundleChild()
      const backing = join(dirs.dir, 'normal-backing')
      const mount = join(dirs.dir, 'normal-mnt')
      // No broker: every accepted record stays in the outbox, so what the disk kept can be read back directly.
      const url = `mqtt://127.0.0.1:${await freePort()}`
      let lostInAnyCut = 0
      try {
        for (let cut = 0; cut < 3 && lostInAnyCut === 0; cut++) {
          const fs = await mountPowerCutFs(backing, mount)
          const config = agentConfig(url, join(fs.mount, 'agent'), { outbox: { synchronous: 'NORMAL' } })
          const accepted = await feedThenCut(child, config, cut * 10_000_000, fs)
          const stored = storedKeys(join(backing, 'agent'))
          lostInAnyCut += [...accepted.keys()].filter((k) => !stored.has(k)).length
          rmSync(backing, { recursive: true, force: true })
        }
      } finally {
        rmSync(child, { force: true })
      }
      console.log(`power cut, NORMAL (control): ${lostInAnyCut} accepted records lost`)
      expect(lostInAnyCut).toBeGreaterThan(0)
    }, 300_000)
  })
}
