import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUNDLE_OUTFILE, bundleAgent } from '../../agent/bundle/bundle.js'
import { repoRoot } from '../support/cli.js'
import { agentConfig, Collector, mosquittoSuite, sample, tempDir } from './support.js'

/** agent/examples/edgetwin-agent.service, which runs the bundle: its V8 flags and glibc setting are the test's. */
const UNIT = readFileSync(join(repoRoot, 'agent', 'examples', 'edgetwin-agent.service'), 'utf8')
const UNIT_NODE_FLAGS = /^Environment=NODE_OPTIONS="([^"]*)"$/m.exec(UNIT)?.[1]?.split(' ') ?? []
const UNIT_ENV = { MALLOC_ARENA_MAX: /^Environment=MALLOC_ARENA_MAX=(\d+)$/m.exec(UNIT)?.[1] ?? '' }
const IMPORT_RECORDER = join(repoRoot, 'test', 'support', 'import-recorder.mjs')

interface Run {
  readonly proc: ChildProcess
  readonly exit: Promise<{ code: number | null; stderr: string }>
  /** Resolves once stderr matches `pattern` (the agent's own log: progress, not a deadline). */
  logged(pattern: RegExp): Promise<void>
}

/** `node <unit flags> edgetwin-agent.mjs agent run --config <config>` from a directory outside the repository. */
function runBundle(config: string, cwd: string, importLog: string): Run {
  const proc = spawn(
    process.execPath,
    [...UNIT_NODE_FLAGS, '--import', IMPORT_RECORDER, BUNDLE_OUTFILE, 'agent', 'run', '--config', config],
    {
      cwd,
      env: { ...process.env, ...UNIT_ENV, EDGETWIN_IMPORT_LOG: importLog },
      stdio: ['pipe', 'ignore', 'pipe'],
    },
  )
  let stderr = ''
  const watchers: { pattern: RegExp; resolve: () => void }[] = []
  proc.stderr!.on('data', (d) => {
    stderr += d
    for (const w of watchers.splice(0))
      if (w.pattern.test(stderr)) w.resolve()
      else watchers.push(w)
  })
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => proc.once('exit', (code) => resolve({ code, stderr })))
  const logged = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      if (pattern.test(stderr)) return resolve()
      watchers.push({ pattern, resolve })
      void exit.then(({ code }) =>
        reject(new Error(`edgetwin-agent.mjs exited with ${code} before logging ${pattern}: ${stderr.slice(-800)}`)),
      )
    })
  return { proc, exit, logged }
}

describe('the single-file agent (agent/dist/edgetwin-agent.mjs)', () => {
  const suite = mosquittoSuite()
  const tmp = tempDir('edgetwin-bundle-')
  afterAll(() => tmp.cleanup())

  beforeAll(async () => {
    if (existsSync(BUNDLE_OUTFILE)) return
    // CI builds it (`npm run build` runs bundle:agent); a missing bundle there is a build defect, not a skip.
    if (process.env.CI === 'true') throw new Error(`${BUNDLE_OUTFILE} is missing: npm run build (or npm run bundle:agent) must build it`)
    await bundleAgent()
  })

  it('is what the systemd unit starts, with its V8 flags and MALLOC_ARENA_MAX', () => {
    expect(UNIT).toMatch(
      /^ExecStart=\/usr\/bin\/node \/opt\/edgetwin\/agent\/edgetwin-agent\.mjs agent run --config \/etc\/edgetwin\/agent\.json$/m,
    )
    // Parsed, so the runs below use the unit's limits whatever they become.
    expect(UNIT_NODE_FLAGS).toContainEqual(expect.stringMatching(/^--max-old-space-size=\d+$/))
    expect(UNIT_ENV.MALLOC_ARENA_MAX).toMatch(/^\d+$/)
  })

  it('runs `agent run` under the unit flags, delivers a record through Mosquitto, loads only better-sqlite3 from node_modules, exits 0 on SIGTERM', async () => {
    const config = join(tmp.dir, 'agent.json')
    writeFileSync(
      config,
      JSON.stringify(
        agentConfig(suite.broker.url, join(tmp.dir, 'data'), { deviceId: 'bundle-1', source: { ndjson: '-' }, logLevel: 'info' }),
      ),
    )
    const importLog = join(tmp.dir, 'imports.log')
    const collector = await Collector.connect(suite.broker.url, 'dt/edgetwin/turbine/bundle-1/metrics')
    const agent = runBundle(config, tmp.dir, importLog)
    try {
      await agent.logged(/mqtt connected/)
      agent.proc.stdin!.write(`${JSON.stringify({ stream: 'metrics', record: sample(42) })}\n`)
      await collector.waitFor(() => collector.records.length >= 1, 60_000, 'the record written to the bundle agent on stdin')
      expect(collector.errors).toEqual([])
      expect(collector.records.map((r) => ({ stream: r.stream, seq: r.seq, data: r.data }))).toEqual([
        { stream: 'metrics', seq: 1, data: sample(42) },
      ])

      agent.proc.kill('SIGTERM')
      const { code, stderr } = await agent.exit
      expect(code, stderr).toBe(0)
      expect(stderr).toMatch(/SIGTERM received/)
      expect(stderr).toMatch(/agent closed/)

      // Every module the ES loader resolved: Node's built-ins, the bundle itself, and better-sqlite3 (a native addon,
      // external by design). MQTT.js, pino, commander and TypeBox come from inside the bundle, not from node_modules.
      const loaded = readFileSync(importLog, 'utf8').split('\n').filter(Boolean)
      const fromDisk = loaded.filter((url) => !url.startsWith('node:') && url !== pathToFileURL(IMPORT_RECORDER).href)
      expect(fromDisk).toContain(pathToFileURL(BUNDLE_OUTFILE).href)
      expect(fromDisk.some((url) => url.includes('/node_modules/better-sqlite3/'))).toBe(true)
      expect(
        fromDisk.filter((url) => url !== pathToFileURL(BUNDLE_OUTFILE).href && !url.includes('/node_modules/better-sqlite3/')),
      ).toEqual([])
    } finally {
      agent.proc.kill('SIGKILL')
      await collector.close()
    }
  })

  it('rejects a bad config with the coded error naming the field', async () => {
    const config = join(tmp.dir, 'bad.json')
    writeFileSync(config, JSON.stringify(agentConfig(suite.broker.url, join(tmp.dir, 'bad'), { kind: 'truck' })))
    const { code, stderr } = await runBundle(config, tmp.dir, join(tmp.dir, 'bad-imports.log')).exit
    expect(code).toBe(1)
    expect(stderr).toMatch(/^edgetwin-agent: \[AGENT_INVALID_CONFIG\].*\/kind.*"truck"/m)
  })
})
