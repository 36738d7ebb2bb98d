import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = new URL('../../', import.meta.url).pathname
const cli = (args: string[]) =>
  run(process.execPath, ['--conditions=@edgetwin/source', '--import', 'tsx', 'cli/src/main.ts', ...args], { cwd: root })
/** Resolves with the failed run (exit code, stderr); a run that succeeds fails the test. */
const cliFailure = (args: string[]) =>
  cli(args).then(
    (r) => {
      throw new Error(`edgetwin ${args.join(' ')} should have failed but exited 0: ${r.stdout}`)
    },
    (e: { code: number; stderr: string }) => e,
  )

describe('edgetwin sim farm', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgetwin-sim-farm-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('runs N turbines for H virtual hours as fast as possible, each with its own agent outbox', async () => {
    const { stdout } = await cli([
      'sim',
      'farm',
      '--turbines',
      '2',
      '--hours',
      '0.02',
      '--speedup',
      'max',
      '--embedded-broker',
      '--broker',
      'mqtt://127.0.0.1:0',
      '--data-dir',
      dir,
      '--fault',
      '1:stuck-sensor:10:windSpeedMps',
    ])
    expect(stdout).toMatch(/2 turbines \(turbine-001…\), 0\.02 h at max/)
    // 0.02 h = 72 virtual seconds: 72 samples per turbine.
    expect(stdout).toMatch(/t=72s virtual .* samples=144 pending=0 failures=0/)
    expect(stdout).toMatch(/sensor-stuck=\d+/)
    expect((await readdir(dir)).sort()).toEqual(['turbine-001', 'turbine-002'])
  })

  it('refuses a malformed fault spec', async () => {
    const err = await cliFailure(['sim', 'farm', '--turbines', '1', '--hours', '1', '--fault', '1:meteor:10'])
    expect(err.code).toBe(1)
    expect(err.stderr).toMatch(/fault must be <turbine\|all>:<turbulence\|erosion\|stuck-sensor>/)
  })
})
