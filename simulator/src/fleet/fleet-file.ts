import { readFileSync } from 'node:fs'
import { isDeviceId } from '@edgetwin/shared-schemas'
import { SimError } from './errors.js'
import { destination, type LonLat } from './geo.js'
import { createRng, deriveSeed } from './rng.js'

/** One simulated vehicle: its device id and the base it starts each day from. */
export interface VehicleSpec {
  readonly deviceId: string
  readonly base: LonLat
}

/** The built-in fleet file (see ATTRIBUTION.md). */
export const DEFAULT_FLEET_FILE = new URL('./vehicles.json', import.meta.url)

/** Reads a fleet file: `[{ "name": "vehicle1", "base": [lon, lat] }, ...]`. */
export function loadFleetFile(path: string | URL = DEFAULT_FLEET_FILE): VehicleSpec[] {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new SimError('SIM_FLEET_FILE_INVALID', `cannot read fleet file ${String(path)}: ${(err as Error).message}`, { cause: err })
  }
  if (!Array.isArray(raw) || raw.length === 0)
    throw new SimError('SIM_FLEET_FILE_INVALID', `fleet file ${String(path)} must be a non-empty array`)
  return raw.map((v, i): VehicleSpec => {
    const name = (v as { name?: unknown }).name
    const base = (v as { base?: unknown }).base
    const ok =
      typeof name === 'string' &&
      isDeviceId(name) &&
      Array.isArray(base) &&
      base.length === 2 &&
      typeof base[0] === 'number' &&
      typeof base[1] === 'number' &&
      Math.abs(base[0]) <= 180 &&
      Math.abs(base[1]) <= 90
    if (!ok) throw new SimError('SIM_FLEET_FILE_INVALID', `fleet file entry ${i} needs a device-id "name" and "base": [lon, lat]`)
    return { deviceId: name, base: [base[0], base[1]] }
  })
}

/**
 * The first `n` vehicles of the file, then (when n is larger) vehicles generated 0.5-3 km from the file's bases
 * in turn, named `vehicle<k>` after the file's count, so a larger fleet keeps the same geography.
 */
export function expandFleet(specs: readonly VehicleSpec[], n: number, seed: number): VehicleSpec[] {
  const out = specs.slice(0, n)
  const taken = new Set(out.map((s) => s.deviceId))
  for (let k = out.length; k < n; k++) {
    const rng = createRng(deriveSeed(seed, 0xf1ee7, k))
    const parent = specs[k % specs.length]!
    let id = `vehicle${k + 1}`
    while (taken.has(id)) id = `${id}x`
    taken.add(id)
    out.push({ deviceId: id, base: destination(parent.base, rng.between(0, 360), rng.between(500, 3000)) })
  }
  return out
}
