import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createOpenfastEngine, DEFAULT_TEMPLATE_DECK_DIR, type SimulationEngine } from '@edgetwin/openfast-container'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { succeedingScript, tempDir, writeFakeOpenfast, writeOutFixture } from './support.js'

let dir: string
let cleanup: () => Promise<void>
let fixture: string
beforeEach(async () => {
  ;({ dir, cleanup } = await tempDir())
  fixture = join(dir, 'fixture.out')
  await writeOutFixture(fixture)
})
afterEach(() => cleanup())

function engine(executable: string, timeoutMs = 20_000): SimulationEngine {
  return createOpenfastEngine({
    executable,
    version: '4.1.2',
    templateDeckDir: DEFAULT_TEMPLATE_DECK_DIR,
    entryFile: 'NREL-5MW.fst',
    controllerLibraryPath: '/opt/rosco/libdiscon.so',
    timeoutMs,
    killGraceMs: 300,
  })
}

function run(e: SimulationEngine, signal = new AbortController().signal) {
  const progress: number[] = []
  const runDir = join(dir, 'run')
  const done = e.run({
    id: 'sim-1',
    runDir,
    request: { engine: 'openfast', windSpeedMps: 12, durationS: 4 },
    onProgress: (f) => progress.push(f),
    signal,
  })
  return { done, progress, runDir }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function pidFrom(file: string, timeoutMs = 5000): Promise<number> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const text = await readFile(file, 'utf8').catch(() => '')
    if (text.trim()) return Number(text.trim())
    if (Date.now() > deadline) throw new Error(`no pid in ${file}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function waitGone(pid: number, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  return !alive(pid)
}

describe('openfast engine process handling (with a fake openfast the test writes)', () => {
  it('runs the entry deck in its own folder, parses progress and returns the .out file', async () => {
    const exe = await writeFakeOpenfast(dir, `pwd > "${dir}/cwd.txt"\necho "$@" > "${dir}/args.txt"\n${succeedingScript(fixture)}`)
    const { done, progress, runDir } = run(engine(exe))
    const { outFile } = await done
    expect(outFile).toBe(join(runDir, 'results', 'simulation.out'))
    expect(await readFile(outFile, 'utf8')).toBe(await readFile(fixture, 'utf8'))
    expect((await readFile(join(dir, 'cwd.txt'), 'utf8')).trim()).toBe(join(runDir, 'deck'))
    expect((await readFile(join(dir, 'args.txt'), 'utf8')).trim()).toBe(join(runDir, 'deck', 'NREL-5MW.fst'))
    expect(progress.length).toBeGreaterThanOrEqual(2)
    expect(progress.at(-1)).toBe(1)
    expect(progress).toContain(0.5)
    expect(await readFile(join(runDir, 'results', 'engine.log'), 'utf8')).toContain('OpenFAST terminated normally')
  })

  it('starts the executable without a shell: metacharacters in its path are not interpreted', async () => {
    const exe = await writeFakeOpenfast(dir, succeedingScript(fixture), 'open fast;touch pwned')
    await run(engine(exe)).done
    expect(existsSync(join(dir, 'pwned'))).toBe(false)
  })

  it('reports a non-zero exit with the tail of the output', async () => {
    const exe = await writeFakeOpenfast(dir, 'echo " FAST_InitializeAll:ED_Init: Invalid input file" >&2\nexit 3')
    await expect(run(engine(exe)).done).rejects.toMatchObject({
      code: 'DISPATCH_ENGINE_FAILED',
      message: expect.stringMatching(/exited with code 3.*Invalid input file/s),
    })
  })

  it('reports an executable that does not exist', async () => {
    await expect(run(engine(join(dir, 'no-such-openfast'))).done).rejects.toMatchObject({ code: 'DISPATCH_ENGINE_NOT_FOUND' })
  })

  it('fails a run that exits 0 without writing its .out file', async () => {
    const exe = await writeFakeOpenfast(dir, 'echo " OpenFAST terminated normally."')
    await expect(run(engine(exe)).done).rejects.toMatchObject({ code: 'DISPATCH_ENGINE_FAILED', message: expect.stringContaining('.out') })
  })

  it('stops a run at the timeout: SIGTERM to the process group, then SIGKILL when it ignores SIGTERM', async () => {
    // Ignores SIGTERM and has a child of its own: only SIGKILL to the whole group ends both.
    const exe = await writeFakeOpenfast(dir, `trap '' TERM\nsleep 60 &\necho $! > "${dir}/child.pid"\necho $$ > "${dir}/pid"\nwait`)
    const started = Date.now()
    const { done } = run(engine(exe, 400))
    const pid = await pidFrom(join(dir, 'pid'))
    const child = await pidFrom(join(dir, 'child.pid'))
    await expect(done).rejects.toMatchObject({ code: 'DISPATCH_ENGINE_TIMEOUT' })
    expect(Date.now() - started).toBeGreaterThanOrEqual(400 + 300 - 50)
    expect(await waitGone(pid)).toBe(true)
    expect(await waitGone(child)).toBe(true)
  })

  it('cancels a running simulation', async () => {
    const exe = await writeFakeOpenfast(dir, `echo $$ > "${dir}/pid"\nprintf ' Timestep: 1 of 4 seconds.\\r'\nexec sleep 60`)
    const abort = new AbortController()
    const { done, progress } = run(engine(exe), abort.signal)
    const pid = await pidFrom(join(dir, 'pid'))
    await new Promise((r) => setTimeout(r, 100))
    abort.abort()
    await expect(done).rejects.toMatchObject({ code: 'DISPATCH_CANCELED' })
    expect(progress).toEqual([0.25])
    expect(await waitGone(pid)).toBe(true)
  })
})
