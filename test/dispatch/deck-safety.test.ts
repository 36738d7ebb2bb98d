import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  DEFAULT_TEMPLATE_DECK_DIR,
  type DispatchApp,
  prepareUploadedDeck,
  readInputValue,
  setInputValues,
} from '@edgetwin/openfast-container'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUTH, multipartBody, tempDir, templateDeckParts, testApp } from './support.js'

type Part = { filename: string; content: Buffer | string; disposition?: string }

const FST = 'NREL-5MW.fst'
const ED = 'NRELOffshrBsline5MW_Onshore_ElastoDyn.dat'
const IW = 'NRELOffshrBsline5MW_InflowWind.dat'
const AD = 'NRELOffshrBsline5MW_Onshore_AeroDyn15.dat'
const SD = 'NRELOffshrBsline5MW_Onshore_ServoDyn.dat'
const DISCON = 'DISCON.IN'

/** Edits one file of the template's parts: by field name (`openfast`/`discon` format) or by replacing a text. */
type Edit = { file: string; fields?: Record<string, string>; format?: 'openfast' | 'discon'; replace?: [string, string] }

let template: Part[]
function withEdits(...edits: Edit[]): Part[] {
  return template.map((p) => {
    let text = Buffer.isBuffer(p.content) ? p.content.toString('latin1') : p.content
    const mine = edits.filter((e) => e.file === p.filename)
    if (mine.length === 0) return p
    for (const e of mine) {
      if (e.fields) text = setInputValues(text, e.fields, e.format ?? 'openfast', e.file)
      if (e.replace) {
        expect(text, `${e.file} has ${e.replace[0]}`).toContain(e.replace[0])
        text = text.replace(e.replace[0], e.replace[1])
      }
    }
    return { filename: p.filename, content: Buffer.from(text, 'latin1') }
  })
}

let dir: string
let cleanup: () => Promise<void>
let app: DispatchApp
beforeAll(async () => {
  ;({ dir, cleanup } = await tempDir())
  app = await testApp(join(dir, 'data'))
  template = await templateDeckParts(DEFAULT_TEMPLATE_DECK_DIR)
})
afterAll(async () => {
  await app.close()
  await cleanup()
})

async function upload(parts: Part[]) {
  const { payload, headers } = multipartBody(parts)
  return app.inject({ method: 'POST', url: '/decks', headers: { ...AUTH, ...headers }, payload })
}
const stored = () => readdir(join(dir, 'data', 'decks')).catch(() => [])

/** Every file-name field of every input file the server knows, as an edit that sets it to `value`. */
function fileFieldEdits(value: string): [string, Edit][] {
  const q = `"${value}"`
  const field = (file: string, name: string, format: 'openfast' | 'discon' = 'openfast'): [string, Edit] => [
    `${file} ${name}`,
    { file, fields: { [name]: q }, format },
  ]
  return [
    field(FST, 'EDFile'),
    ...[1, 2, 3].map((b) => field(FST, `BDBldFile(${b})`)),
    field(FST, 'InflowFile'),
    field(FST, 'AeroFile'),
    field(FST, 'ServoFile'),
    ...['SeaStFile', 'HydroFile', 'SubFile', 'MooringFile', 'IceFile'].map((f) => field(FST, f)),
    ...[1, 2, 3].map((b) => field(ED, `BldFile(${b})`)),
    field(ED, 'TwrFile'),
    field(ED, 'FurlFile'),
    ...['FileName_Uni', 'FileName_BTS', 'FileNameRoot', 'FileName_u', 'FileName_v', 'FileName_w'].map((f) => field(IW, f)),
    ...[1, 2, 3].map((b) => field(AD, `ADBlFile(${b})`)),
    field(AD, 'AA_InputFile'),
    field(AD, 'OLAFInputFileName'),
    field(AD, 'TFinFile'),
    ['AeroDyn AFNames (3rd, a line of its own)', { file: AD, replace: ['"Airfoils/DU40_A17.dat"', q] }],
    ['airfoil @ include', { file: 'Airfoils/DU40_A17.dat', replace: ['@"DU40_A17_coords.txt"', `@${q}`] }],
    field('Airfoils/DU40_A17.dat', 'BL_file'),
    field(SD, 'DLL_InFile'),
    field(DISCON, 'PerfFileName', 'discon'),
    field(DISCON, 'OL_Filename', 'discon'),
  ]
}

describe('deck paths stay inside the deck', () => {
  for (const value of ['/etc/passwd', '../../decks/other-deck/DISCON.IN']) {
    it(`refuses ${value} in every file-name field with 400 DISPATCH_UNSAFE_PATH, storing nothing`, async () => {
      const edits = fileFieldEdits(value)
      expect(edits.length).toBeGreaterThanOrEqual(35)
      const answers: string[] = []
      for (const [label, edit] of edits) {
        const res = await upload(withEdits(edit))
        answers.push(`${label}: ${res.statusCode} ${res.json().code}`)
        if (res.statusCode === 400) expect(res.json().message, label).toContain(value.slice(0, 20))
      }
      expect(answers.filter((a) => !a.endsWith('400 DISPATCH_UNSAFE_PATH'))).toEqual([])
      expect(await stored()).toEqual([])
    })
  }

  it('accepts the unedited template deck (the control case)', async () => {
    const res = await upload(template)
    expect(res.statusCode).toBe(201)
    await app.inject({ method: 'GET', url: '/status', headers: AUTH })
  })
})

describe('a deck cannot load code', () => {
  it('refuses shared objects by name and executables by content', async () => {
    for (const [filename, content] of [
      ['evil.so', 'not even ELF'],
      ['lib/libevil.so.1', 'x'],
      ['evil.dll', 'x'],
      ['evil.dylib', 'x'],
      ['evil.dat', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0])],
      ['evil.txt', Buffer.from('MZ\x90\x00', 'latin1')],
      ['evil.bin', Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1])],
    ] as const) {
      const res = await upload([...template, { filename, content }])
      expect([filename, res.statusCode, res.json().code]).toEqual([filename, 400, 'DISPATCH_DECK_INVALID'])
    }
  })

  it('refuses ROSCO external library mode (Ext_Mode) and the ZeroMQ interface (ZMQ_Mode)', async () => {
    const ext = await upload(withEdits({ file: DISCON, fields: { Ext_Mode: '1', DLL_FileName: '"./evil.dat"' }, format: 'discon' }))
    expect([ext.statusCode, ext.json().code]).toEqual([400, 'DISPATCH_DECK_INVALID'])
    expect(ext.json().message).toMatch(/Ext_Mode = 1 is not allowed/)
    const zmq = await upload(withEdits({ file: DISCON, fields: { ZMQ_Mode: '1' }, format: 'discon' }))
    expect([zmq.statusCode, zmq.json().message]).toEqual([400, expect.stringMatching(/ZMQ_Mode = 1 is not allowed/)])
  })

  it('replaces the library paths of ServoDyn and DISCON.IN when it prepares a run', async () => {
    const src = join(dir, 'evil-src')
    const { mkdir, writeFile } = await import('node:fs/promises')
    for (const p of withEdits(
      { file: SD, fields: { DLL_FileName: '"./evil.dat"' } },
      { file: DISCON, fields: { DLL_FileName: '"./evil.dat"' }, format: 'discon' },
    )) {
      await mkdir(join(src, p.filename, '..'), { recursive: true })
      await writeFile(join(src, p.filename), p.content)
    }
    const deck = await prepareUploadedDeck({
      sourceDir: src,
      runDir: join(dir, 'evil-run'),
      entryFile: FST,
      controllerLibraryPath: '/opt/rosco/libdiscon.so',
    })
    const servo = await readFile(join(deck.deckDir, SD), 'latin1')
    expect(readInputValue(servo, 'DLL_FileName', 'openfast')).toBe('"/opt/rosco/libdiscon.so"')
    const discon = await readFile(join(deck.deckDir, DISCON), 'latin1')
    expect(readInputValue(discon, 'DLL_FileName', 'discon')).toBe('"unused"')
  })
})

describe('unknown modules are refused, not passed through', () => {
  const cases: [string, Edit][] = [
    ['BeamDyn blades (CompElast 2)', { file: FST, fields: { CompElast: '2' } }],
    ['HydroDyn (CompHydro 1)', { file: FST, fields: { CompHydro: '1' } }],
    ['SubDyn (CompSub 1)', { file: FST, fields: { CompSub: '1' } }],
    ['MoorDyn (CompMooring 3)', { file: FST, fields: { CompMooring: '3' } }],
    ['ExtLoads (CompAero 3)', { file: FST, fields: { CompAero: '3' } }],
    ['user-defined wind (WindType 6)', { file: IW, fields: { WindType: '6' } }],
    ['OLAF (Wake_Mod 3)', { file: AD, fields: { Wake_Mod: '3' } }],
    ['OLAF in an older AeroDyn file (WakeMod 3)', { file: AD, replace: ['          1   Wake_Mod ', '          3   WakeMod  '] }],
    ['aeroacoustics (CompAA True)', { file: AD, fields: { CompAA: 'True' } }],
    ['a nacelle structural controller', { file: SD, fields: { NumNStC: '1' } }],
  ]
  it('answers 400 DISPATCH_DECK_INVALID naming the switch and what is allowed', async () => {
    const before = (await stored()).length
    for (const [label, edit] of cases) {
      const res = await upload(withEdits(edit))
      const name = Object.keys(edit.fields ?? {})[0] ?? 'WakeMod'
      expect([label, res.statusCode, res.json().code]).toEqual([label, 400, 'DISPATCH_DECK_INVALID'])
      expect(res.json().message, label).toMatch(new RegExp(`${name.replace(/[()]/g, '\\$&')} = .* is not allowed \\(allowed: `))
    }
    expect(await stored()).toHaveLength(before)
  })
})

describe('malformed uploads answer 400, not 500', () => {
  it('a part with no filename', async () => {
    const res = await upload([...template, { filename: '', content: 'x', disposition: 'form-data; name="file"' }])
    expect([res.statusCode, res.json().code]).toEqual([400, expect.stringMatching(/^DISPATCH_/)])
  })

  it('a file and a folder of the same name', async () => {
    for (const parts of [
      [{ filename: 'Airfoils', content: 'x' }, ...template],
      [...template, { filename: 'NREL-5MW.fst/x.dat', content: 'x' }],
    ]) {
      const res = await upload(parts)
      expect([res.statusCode, res.json().code, res.json().message]).toEqual([400, 'DISPATCH_DECK_INVALID', expect.stringMatching(/clash/)])
    }
  })
})

describe('the value checked is the one OpenFAST and ROSCO read', () => {
  const cases: [string, Edit[], string, Part[]?][] = [
    [
      // The .fst is read by position (NWTC ReadVar does not check names): a relabelled line at EDFile's place, and a
      // proper EDFile line appended where OpenFAST never reads.
      'a relabelled line where the .fst is read by position',
      [
        { file: FST, replace: ['"NRELOffshrBsline5MW_Onshore_ElastoDyn.dat"    EDFile ', '"../../../etc/passwd.dat"    EDFileX'] },
        { file: FST, replace: ['VTK_fps ', 'VTK_fps \n"NRELOffshrBsline5MW_Onshore_ElastoDyn.dat"    EDFile   - appended\n'] },
      ],
      'DISPATCH_DECK_INVALID',
    ],
    [
      'a second DLL_InFile line in ServoDyn',
      [{ file: SD, replace: ['"DISCON.IN"    DLL_InFile', '"../../x/DISCON.IN"    DLL_InFile   - again\n"DISCON.IN"    DLL_InFile'] }],
      'DISPATCH_DECK_INVALID',
    ],
    [
      // ServoDyn's ParseVar also reads `Name value`; a `value Name` line after END is read by nobody.
      'a name-first DLL_InFile line with a value-first one after END',
      [
        { file: SD, replace: ['"DISCON.IN"    DLL_InFile', 'DLL_InFile    "../../x/DISCON.IN"'] },
        { file: SD, replace: ['END of input file', 'END of input file\n"DISCON.IN"    DLL_InFile   - never read\n'] },
      ],
      'DISPATCH_DECK_INVALID',
    ],
    [
      // ServoDyn sees an included file's lines as its own (ProcessComFile): the value hidden in an include counts.
      'a DLL_InFile line hidden in an @include, with a decoy after END',
      [
        { file: SD, replace: ['"DISCON.IN"    DLL_InFile   - Name', '@"servo-part.dat"\n! - Name'] },
        { file: SD, replace: ['END of input file', 'END of input file\n"DISCON.IN"    DLL_InFile   - never read\n'] },
      ],
      'DISPATCH_DECK_INVALID',
      [{ filename: 'servo-part.dat', content: '"../../x/DISCON.IN"    DLL_InFile   - hidden\n' }],
    ],
    [
      // ROSCO takes the LAST line whose second word is the name, with or without the `!`.
      'a later PerfFileName line without "!" in DISCON.IN',
      [
        {
          file: DISCON,
          replace: ['! Controller parameter input file', '"../../x/Cp.txt"   PerfFileName\n! Controller parameter input file'],
        },
      ],
      'DISPATCH_DECK_INVALID',
    ],
    [
      // AeroDyn's word splitting stops at a comma: "../secret" would be read, "../secret,/../deck/x" checked.
      'a comma in an unquoted file name',
      [{ file: AD, replace: ['"NRELOffshrBsline5MW_AeroDyn_blade.dat"    ADBlFile(1)', '../secret,/../deck/x.dat    ADBlFile(1)'] }],
      'DISPATCH_UNSAFE_PATH',
    ],
  ]
  for (const [label, edits, code, extra] of cases) {
    it(`refuses ${label}`, async () => {
      const res = await upload([...withEdits(...edits), ...(extra ?? [])])
      expect([res.statusCode, res.json().code]).toEqual([400, code])
    })
  }
})
