import { join } from 'node:path'
import { createOpenfastEngine, DEFAULT_TEMPLATE_DECK_DIR, parseOpenfastProgress } from '@edgetwin/openfast-container'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir, writeFakeOpenfast, writeOutFixture } from './support.js'

/** What OpenFAST v4.1.2 writes (NWTC_Num.f90 SimStatus_FirstTime / SimStatus: WrScr, then WrOver with a carriage return). */
const V4_FIRST = ' Time: 0 of 60 seconds.\n'
const v4Status = (t: number, total = 60) =>
  `${' '.repeat(98)}\r Time: ${t} of ${total} seconds. Estimated final completion at 22:41:07 (in 0.000 days).\r`
/** What OpenFAST v3 and earlier wrote. */
const v3Status = (t: number, total = 60) => ` Timestep: ${t} of ${total} seconds.\r`

describe('OpenFAST status lines', () => {
  it('parses the v4 form "Time: t of T seconds."', () => {
    expect(parseOpenfastProgress(V4_FIRST)).toBe(0)
    expect(parseOpenfastProgress(v4Status(15))).toBe(0.25)
    expect(parseOpenfastProgress(`${v4Status(15)}${v4Status(45)}`)).toBe(0.75)
    expect(parseOpenfastProgress(' Time: 3000 of 3.0000E+03 seconds.')).toBe(1)
  })

  it('parses the v3 form "Timestep: t of T seconds."', () => {
    expect(parseOpenfastProgress(v3Status(30))).toBe(0.5)
    expect(parseOpenfastProgress(`${v3Status(6)}${v3Status(54)}`)).toBe(0.9)
  })

  it('finds no progress in other output', () => {
    expect(parseOpenfastProgress(' OpenFAST terminated normally.\n Total Real Time: 53.2 seconds\n')).toBeUndefined()
  })
})

describe('openfast engine progress with the v4 status lines', () => {
  let dir: string
  let cleanup: () => Promise<void>
  beforeEach(async () => {
    ;({ dir, cleanup } = await tempDir())
  })
  afterEach(() => cleanup())

  it('reports the fractions OpenFAST v4.1.2 prints while it runs', async () => {
    const fixture = join(dir, 'fixture.out')
    await writeOutFixture(fixture)
    const printf = (s: string) => `printf '%s' '${s}'`
    const exe = await writeFakeOpenfast(
      dir,
      [printf(V4_FIRST), 'sleep 0.05', printf(v4Status(30)), 'sleep 0.05', printf(v4Status(60)), `cp '${fixture}' "\${1%.fst}.out"`].join(
        '\n',
      ),
    )
    const engine = createOpenfastEngine({
      executable: exe,
      version: '4.1.2',
      templateDeckDir: DEFAULT_TEMPLATE_DECK_DIR,
      entryFile: 'NREL-5MW.fst',
      controllerLibraryPath: '/opt/rosco/libdiscon.so',
      timeoutMs: 20_000,
      killGraceMs: 300,
    })
    const progress: number[] = []
    await engine.run({
      id: 'sim-v4',
      runDir: join(dir, 'run'),
      request: { engine: 'openfast', windSpeedMps: 9, durationS: 60 },
      onProgress: (f) => progress.push(f),
      signal: new AbortController().signal,
    })
    expect(progress).toContain(0.5)
    expect(progress.at(-1)).toBe(1)
  })
})
