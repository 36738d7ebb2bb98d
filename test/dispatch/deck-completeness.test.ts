import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { DEFAULT_TEMPLATE_DECK_DIR, walkDeck } from '@edgetwin/openfast-container'
import { describe, expect, it } from 'vitest'

const DECK = DEFAULT_TEMPLATE_DECK_DIR

async function textFiles(): Promise<string[]> {
  const entries = await readdir(DECK, { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile() && e.name !== 'ATTRIBUTION.md').map((e) => join(e.parentPath, e.name))
}

/**
 * Names in the shipped deck that OpenFAST does not open with the deck's switches, each with the switch that leaves it
 * unused; the server replaces the controller library path before every run.
 */
const NAMED_BUT_UNUSED: Record<string, string> = {
  'NRELOffshrBsline5MW_BeamDyn.dat': 'BDBldFile(1-3): CompElast = 1 (ElastoDyn blades)',
  'Wind/90m_12mps_twr.bts': 'FileName_BTS: WindType = 1 (steady wind; the server sets it)',
  '../../../lib/libdiscon.so': "DLL_FileName: replaced by the server's controller library",
}

describe('the shipped NREL 5-MW deck is complete', () => {
  it('every quoted file name in any of its input files resolves to a file inside the deck (or is named unused above)', async () => {
    // Independent of the walker: every quoted value that looks like a file name (has an extension), in every file.
    const unresolved: string[] = []
    let checked = 0
    for (const file of await textFiles()) {
      const text = await readFile(file, 'latin1')
      for (const m of text.matchAll(/^\s*@?"([^"]+\.[A-Za-z][A-Za-z0-9]{1,4})"/gm)) {
        const name = m[1]
        if (/^ES\d/.test(name)) continue // OutFmt, a Fortran format
        checked++
        const target = resolve(dirname(file), name)
        const inside = !relative(DECK, target).startsWith('..')
        if (NAMED_BUT_UNUSED[name]) continue
        if (!inside || !existsSync(target)) unresolved.push(`${relative(DECK, file)}: ${name}`)
      }
    }
    expect(unresolved).toEqual([])
    expect(checked).toBeGreaterThan(30)
  })

  it('the walk of every file-name field finds what OpenFAST and ROSCO open, all inside the deck', async () => {
    const walk = await walkDeck(DECK, 'NREL-5MW.fst')
    const needed = new Set(walk.references.filter((r) => r.needed).map((r) => r.path))
    for (const path of [
      'NRELOffshrBsline5MW_Onshore_ElastoDyn.dat',
      'NRELOffshrBsline5MW_Blade.dat',
      'NRELOffshrBsline5MW_Onshore_ElastoDyn_Tower.dat',
      'NRELOffshrBsline5MW_InflowWind.dat',
      'NRELOffshrBsline5MW_Onshore_AeroDyn15.dat',
      'NRELOffshrBsline5MW_AeroDyn_blade.dat',
      'Airfoils/Cylinder1.dat',
      'Airfoils/Cylinder1_coords.txt',
      'Airfoils/NACA64_A17.dat',
      'Airfoils/NACA64_A17_coords.txt',
      'NRELOffshrBsline5MW_Onshore_ServoDyn.dat',
      'DISCON.IN',
      'Cp_Ct_Cq.NREL5MW.txt',
    ]) {
      expect(needed, path).toContain(path)
    }
    expect(needed.size).toBe(13 + 12) // the 13 above + 6 more airfoils with their 6 coordinate files
    for (const path of needed) expect(existsSync(join(DECK, path)), path).toBe(true)
    for (const r of walk.references) expect(r.path.startsWith('..'), `${r.from} ${r.field}`).toBe(false)
  })

  it('the performance table matches the size DISCON.IN declares (PerfTableSize 36 26)', async () => {
    const text = await readFile(join(DECK, 'Cp_Ct_Cq.NREL5MW.txt'), 'latin1')
    const lines = text.split('\n')
    const vector = (header: RegExp) => lines[lines.findIndex((l) => header.test(l)) + 1].trim().split(/\s+/).map(Number)
    expect(vector(/Pitch angle vector/)).toHaveLength(36)
    expect(vector(/TSR vector/)).toHaveLength(26)
    const cpStart = lines.findIndex((l) => /Power coefficient/.test(l))
    const cpRows = lines
      .slice(cpStart + 1)
      .filter((l) => l.trim() !== '')
      .slice(0, 26)
      .map((l) => l.trim().split(/\s+/).map(Number))
    expect(cpRows.every((r) => r.length === 36 && r.every(Number.isFinite))).toBe(true)
  })
})
