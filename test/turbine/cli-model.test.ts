import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
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

/** A plain reader of OpenFAST text output, independent of the model's own parser. */
function readOut(text: string): Record<string, number[]> {
  const lines = text.split('\n')
  const at = lines.findIndex((l) => l.startsWith('Time\t'))
  const names = lines[at]!.split('\t')
  const rows = lines.slice(at + 2).filter((l) => l.trim() !== '')
  return Object.fromEntries(names.map((n, c) => [n, rows.map((r) => Number(r.split('\t')[c]))]))
}

describe('edgetwin model run', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgetwin-model-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('writes an OpenFAST .out file at the design point that a plain parser reads', async () => {
    const out = join(dir, 'run.out')
    await writeFile(join(dir, 'params.json'), JSON.stringify({ pitchProportionalGainS: 0.02 }))
    const { stdout } = await cli(['model', 'run', '--wind-speed', '14', '--tmax', '60', '--params', join(dir, 'params.json'), '--out', out])
    expect(stdout).toMatch(/60 s simulated/)
    const ch = readOut(await readFile(out, 'utf8'))
    expect(Object.keys(ch)).toEqual(['Time', 'Wind1VelX', 'RotSpeed', 'GenSpeed', 'GenTq', 'GenPwr', 'BldPitch1', 'RotThrust', 'RotTorq'])
    expect(ch.Time).toHaveLength(1201)
    expect(ch.Time!.at(-1)).toBe(60)
    expect(ch.GenPwr!.at(-1)).toBeCloseTo(5000, -1)
    expect(ch.GenSpeed!.at(-1)).toBeCloseTo(1174, -1)
    expect(ch.BldPitch1!.at(-1)).toBeGreaterThan(5)
  })

  it('refuses a parameters file outside the schema, naming the field', async () => {
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ pitchGain: 2 }))
    const err = await cliFailure([
      'model',
      'run',
      '--wind-speed',
      '9',
      '--tmax',
      '1',
      '--params',
      join(dir, 'bad.json'),
      '--out',
      join(dir, 'x.out'),
    ])
    expect(err.code).toBe(1)
    expect(err.stderr).toMatch(/SCHEMA_INVALID.*pitchGain/)
  })
})
