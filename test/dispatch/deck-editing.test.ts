import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import {
  DEFAULT_TEMPLATE_DECK_DIR,
  prepareParametricDeck,
  prepareUploadedDeck,
  readInputValue,
  setInputValues,
} from '@edgetwin/openfast-container'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from './support.js'

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)))
}

/** Line numbers (0-based) where two latin1 texts differ; both must have the same number of lines. */
function changedLines(before: string, after: string): number[] {
  const a = before.split('\n')
  const b = after.split('\n')
  expect(b.length).toBe(a.length)
  return a.flatMap((line, i) => (line === b[i] ? [] : [i]))
}

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ dir, cleanup } = await tempDir())
})
afterEach(() => cleanup())

describe('input file editing by name', () => {
  it('keeps the name column and CRLF line ends, changes only the value', () => {
    const text = '---- header\r\n         60   TMax            - Total run time (s)\r\n    0.00625   DT              - step (s)\r\n'
    const edited = setInputValues(text, { TMax: '600.5' }, 'openfast')
    expect(edited).toBe('---- header\r\n      600.5   TMax            - Total run time (s)\r\n    0.00625   DT              - step (s)\r\n')
    expect(readInputValue(edited, 'tmax', 'openfast')).toBe('600.5')
  })

  it('refuses a field the file does not have', () => {
    expect(() => setInputValues('  1  A - a\n', { B: '2' }, 'openfast', 'x.dat')).toThrow(
      expect.objectContaining({ code: 'DISPATCH_DECK_FIELD_MISSING' }),
    )
  })
})

describe('parametric deck from the NREL 5-MW template', () => {
  it('edits only the named values; every other line of every file is byte-identical', async () => {
    const runDir = join(dir, 'run')
    const deck = await prepareParametricDeck({
      sourceDir: DEFAULT_TEMPLATE_DECK_DIR,
      runDir,
      entryFile: 'NREL-5MW.fst',
      controllerLibraryPath: '/opt/rosco/lib/libdiscon.so',
      request: {
        engine: 'openfast',
        windSpeedMps: 17.5,
        durationS: 120,
        dtS: 0.005,
        initialConditions: { rotorSpeedRpm: 11.2, bladePitchDeg: 12.5 },
        controllerParameters: { ratedGeneratorSpeedRpm: 1100, pitchProportionalGainS: 0.02, maxPitchRateDegPerS: 6 },
      },
    })
    expect(deck.rootName).toBe(join(runDir, 'deck', 'NREL-5MW'))
    const template = await filesUnder(DEFAULT_TEMPLATE_DECK_DIR)
    expect((await filesUnder(deck.deckDir)).sort()).toEqual(template.sort())

    const expectedChanges: Record<string, Record<string, string>> = {
      'NREL-5MW.fst': { TMax: '120', DT: '0.005', OutFileFmt: '1' },
      'NRELOffshrBsline5MW_InflowWind.dat': { WindType: '1', HWindSpeed: '17.5' },
      'NRELOffshrBsline5MW_Onshore_ElastoDyn.dat': { RotSpeed: '11.2', 'BlPitch(1)': '12.5', 'BlPitch(2)': '12.5', 'BlPitch(3)': '12.5' },
      'NRELOffshrBsline5MW_Onshore_ServoDyn.dat': {
        DLL_FileName: '"/opt/rosco/lib/libdiscon.so"',
        DLL_InFile: `"${join(deck.deckDir, 'DISCON.IN')}"`,
      },
    }
    for (const file of template) {
      const before = await readFile(join(DEFAULT_TEMPLATE_DECK_DIR, file), 'latin1')
      const after = await readFile(join(deck.deckDir, file), 'latin1')
      if (file === 'DISCON.IN') continue
      const edits = expectedChanges[file] ?? {}
      const changed = changedLines(before, after)
      // WindType was already 1 in the template: an edit to the same value changes nothing.
      expect(changed.length, file).toBeLessThanOrEqual(Object.keys(edits).length)
      for (const [name, value] of Object.entries(edits)) expect(readInputValue(after, name, 'openfast'), `${file} ${name}`).toBe(value)
      for (const i of changed)
        expect(
          Object.keys(edits).some((n) => after.split('\n')[i].includes(` ${n} `)),
          `${file}:${i + 1}`,
        ).toBe(true)
    }
    expect(
      changedLines(await readFile(join(DEFAULT_TEMPLATE_DECK_DIR, 'NREL-5MW.fst'), 'latin1'), await readFile(deck.entryPath, 'latin1')),
    ).toHaveLength(3)

    const disconBefore = await readFile(join(DEFAULT_TEMPLATE_DECK_DIR, 'DISCON.IN'), 'latin1')
    const disconAfter = await readFile(join(deck.deckDir, 'DISCON.IN'), 'latin1')
    expect(changedLines(disconBefore, disconAfter)).toHaveLength(5) // PC_RefSpd, VS_RefSpd, PC_GS_KP, PC_MaxRat, PC_MinRat
    expect(Number(readInputValue(disconAfter, 'PC_RefSpd', 'discon'))).toBeCloseTo((1100 * Math.PI) / 30, 3)
    expect(Number(readInputValue(disconAfter, 'PC_MaxRat', 'discon'))).toBeCloseTo((6 * Math.PI) / 180, 5)
    const kpBefore = readInputValue(disconBefore, 'PC_GS_KP', 'discon').trim().split(/\s+/).map(Number)
    const kpAfter = readInputValue(disconAfter, 'PC_GS_KP', 'discon').trim().split(/\s+/).map(Number)
    expect(kpAfter).toHaveLength(30)
    for (const [i, k] of kpAfter.entries()) expect(k / kpBefore[i]).toBeCloseTo(0.02 / 0.01882681, 4)
  })

  it('refuses a turbulent openfast run without a wind file, before copying anything', async () => {
    await expect(
      prepareParametricDeck({
        sourceDir: DEFAULT_TEMPLATE_DECK_DIR,
        runDir: join(dir, 'run'),
        entryFile: 'NREL-5MW.fst',
        controllerLibraryPath: '/x.so',
        request: { engine: 'openfast', windSpeedMps: 12, durationS: 10, turbulenceIntensity: 0.1 },
      }),
    ).rejects.toMatchObject({ code: 'DISPATCH_INVALID_REQUEST' })
    expect(await readdir(dir)).toEqual([])
  })
})

describe('uploaded deck', () => {
  it('replaces the deck’s controller library by the configured one and sets TMax', async () => {
    const deck = await prepareUploadedDeck({
      sourceDir: DEFAULT_TEMPLATE_DECK_DIR,
      runDir: join(dir, 'run'),
      entryFile: 'NREL-5MW.fst',
      controllerLibraryPath: '/opt/rosco/libdiscon.so',
      durationS: 30,
    })
    const servo = await readFile(join(deck.deckDir, 'NRELOffshrBsline5MW_Onshore_ServoDyn.dat'), 'latin1')
    expect(readInputValue(servo, 'DLL_FileName', 'openfast')).toBe('"/opt/rosco/libdiscon.so"')
    expect(readInputValue(await readFile(deck.entryPath, 'latin1'), 'TMax', 'openfast')).toBe('30')
  })

  it('refuses a deck whose entry file names an input file outside the deck', async () => {
    const src = join(dir, 'src')
    await prepareUploadedDeck({
      sourceDir: DEFAULT_TEMPLATE_DECK_DIR,
      runDir: join(dir, 'tmp'),
      entryFile: 'NREL-5MW.fst',
      controllerLibraryPath: '/x.so',
    })
    const fst = await readFile(join(DEFAULT_TEMPLATE_DECK_DIR, 'NREL-5MW.fst'), 'latin1')
    for (const [i, hostile] of ['"/etc/passwd"', '"../../outside.dat"'].entries()) {
      const { cp } = await import('node:fs/promises')
      const srcDir = `${src}${i}`
      await cp(DEFAULT_TEMPLATE_DECK_DIR, srcDir, { recursive: true })
      await writeFile(join(srcDir, 'NREL-5MW.fst'), setInputValues(fst, { EDFile: hostile }, 'openfast'), 'latin1')
      await expect(
        prepareUploadedDeck({ sourceDir: srcDir, runDir: join(dir, `run${i}`), entryFile: 'NREL-5MW.fst', controllerLibraryPath: '/x.so' }),
      ).rejects.toMatchObject({ code: 'DISPATCH_UNSAFE_PATH' })
    }
  })
})
