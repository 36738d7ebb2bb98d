import { execFile } from 'node:child_process'
import { mkdirSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createLocalIngest, type FleetServices, type LocalIngest, readArchiveObjects, startFleetServices } from '@edgetwin/cloud'
import { encodeEnvelope, parseConfig, telemetryTopic, validators } from '@edgetwin/shared-schemas'
import { afterEach, describe, expect, it } from 'vitest'
import { envelope, position, silentLogger, tempDir } from '../ingest/support/fixtures.js'
import { repoRoot } from '../support/cli.js'

const run = promisify(execFile)

async function waitFor(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

const jsonFiles = (dir: string): string[] => {
  try {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json'))
  } catch {
    return []
  }
}

describe('local event bus: EventBridge-like retries, dead letters and replay', () => {
  const cleanups: Array<() => Promise<void> | void> = []
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
  })

  it('retries a failing enrichment target with backoff, dead-letters it after the attempts, and `edgetwin cloud replay` delivers it once', async () => {
    const tmp = tempDir('edgetwin-retry-')
    cleanups.push(tmp.remove)
    const dataDir = join(tmp.dir, 'cloud')
    // The fault itself: a regular file where the enriched objects' folder must go, so every write fails with ENOTDIR.
    mkdirSync(join(dataDir, 'objects'), { recursive: true })
    const blocker = join(dataDir, 'objects', 'enriched')
    writeFileSync(blocker, 'not a folder')
    const config = parseConfig(validators.CloudConfig, {
      dataDir,
      events: { maximumRetryAttempts: 2, retryBaseDelayMs: 20, retryMaxDelayMs: 100 },
    })
    const ingest: LocalIngest = createLocalIngest({
      dataDir,
      logger: silentLogger,
      eventRetry: { maximumRetryAttempts: 2, baseDelayMs: 20, maxDelayMs: 100 },
    })
    cleanups.push(() => ingest.close())
    const fleet: FleetServices = await startFleetServices(config.fleet, {
      dataDir,
      bus: ingest.bus,
      archiveRoot: ingest.archiveRoot,
      db: ingest.databases.ingest,
      archiveBufferIntervalMs: 0,
      logger: silentLogger,
    })
    cleanups.push(() => fleet.close())
    await ingest.start()

    const positions = [0, 1, 2, 3].map((i) => position(i))
    const outcome = await ingest.router.handle(
      telemetryTopic('vehicle', 'van-r', 'position'),
      encodeEnvelope(envelope('van-r', 'vehicle', 'position', 1, positions)),
    )
    expect(outcome).toMatchObject({ outcome: 'routed', routed: 4 })
    const events = ingest.events!
    await waitFor(() => events.health().stored['enrichment']?.deadLetters === 4, 'four enrichment dead letters')

    // Each event was tried 3 times (the first attempt and 2 retries), then dead-lettered; the archive target,
    // delivered independently, has all four.
    expect(events.health().targets['enrichment']).toEqual({ delivered: 0, retries: 8, deadLettered: 4 })
    expect(events.health().stored['enrichment']).toEqual({ pending: 0, deadLetters: 4 })
    const letters = events.store.listDeadLetters()
    expect(letters).toHaveLength(4)
    for (const l of letters) {
      expect(l).toMatchObject({ target: 'enrichment', attempts: 3 })
      expect(l.error).toMatch(/CLOUD_OBJECT_STORE_FAILED/)
    }
    await waitFor(() => fleet.consumers.counters.archived === 4, 'the archive target')
    const archived = readArchiveObjects(ingest.archiveRoot, 'position-events').flatMap((o) => o.records)
    expect(archived).toHaveLength(4)
    expect(jsonFiles(blocker)).toEqual([])

    // The operator sees the counts from another process, fixes the cause and replays, while this cloud keeps running.
    const cfg = join(tmp.dir, 'cloud.json')
    writeFileSync(cfg, JSON.stringify({ dataDir }))
    const health = await run(
      process.execPath,
      ['--conditions=@edgetwin/source', '--import', 'tsx', join(repoRoot, 'cli/src/main.ts'), 'cloud', 'health', '--config', cfg],
      { cwd: repoRoot },
    )
    expect(JSON.parse(health.stdout)).toEqual({ router: { deadLetters: 0 }, events: { enrichment: { pending: 0, deadLetters: 4 } } })
    unlinkSync(blocker)
    const { stdout } = await run(
      process.execPath,
      [
        '--conditions=@edgetwin/source',
        '--import',
        'tsx',
        join(repoRoot, 'cli/src/main.ts'),
        'cloud',
        'replay',
        '--config',
        cfg,
        '--target',
        'enrichment',
      ],
      { cwd: repoRoot },
    )
    expect(stdout).toContain('replayed 4 dead-lettered event(s) to their targets; 0 left')
    await waitFor(() => jsonFiles(blocker).length === 4, 'four enriched objects')
    await waitFor(() => events.health().targets['enrichment']?.delivered === 4, 'four deliveries')
    expect(events.health().stored['enrichment'] ?? { pending: 0, deadLetters: 0 }).toEqual({ pending: 0, deadLetters: 0 })
    const keys = jsonFiles(blocker).sort()
    // One object per event, named by the event id: a second replay of the same events would overwrite, not add.
    expect(new Set(keys.map((k) => k.split('/')[0])).size).toBe(1)
    expect(keys.map((k) => k.slice(k.lastIndexOf('/') + 1, k.lastIndexOf('/') + 25))).toEqual(positions.map((p) => p.sampleTime))
  }, 120_000)
})
