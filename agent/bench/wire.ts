import type { DeviceKind, StreamName, TurbineSample, VehiclePosition } from '@edgetwin/shared-schemas'
import { decodeEnvelope } from '@edgetwin/shared-schemas'
import { createFarm, createVirtualClock, expandFleet, loadFleetFile, planDay, positionAt, sampleTimes } from '@edgetwin/simulator'
import mqtt from 'mqtt'
import { createAgent } from '../src/index.js'
import { type PhaseResult, tempDir } from './phases.js'

const T0 = Date.UTC(2026, 9, 5)
const round7 = (x: number) => Math.round(x * 1e7) / 1e7

/** Turbine samples as the farm simulator's turbines (the turbine model, 1 Hz) produce them. */
export async function turbineModelRecords(turbines: number, seconds: number): Promise<TurbineSample[]> {
  const out: TurbineSample[] = []
  const clock = createVirtualClock({ startTimeMs: T0 })
  const farm = createFarm(
    { turbines, seed: 1, meanWindSpeedMps: 13, turbulenceIntensity: 0.15, alarmEvents: false },
    {
      clock,
      agentFor: () => ({
        accept: async (stream, record) => {
          if (stream === 'metrics') out.push(record as TurbineSample)
          return { seq: out.length }
        },
      }),
    },
  )
  await farm.start()
  await clock.runUntil(T0 + seconds * 1000)
  await farm.close()
  await clock.close()
  return out
}

/** Positions as the fleet simulator's vehicles produce them (one day's journeys, a sample every `intervalS`). */
export function fleetRecords(fleetFile: string, vehicles: number, intervalS: number): { deviceId: string; records: VehiclePosition[] }[] {
  return expandFleet(loadFleetFile(fleetFile), vehicles, 1).map((v, i) => {
    const plan = planDay(v.base, T0, 1, i, 0)
    return {
      deviceId: v.deviceId,
      records: sampleTimes(plan, intervalS).map((tMs) => {
        const p = positionAt(plan, tMs)
        return {
          sampleTime: new Date(tMs).toISOString(),
          lon: round7(p.lonLat[0]),
          lat: round7(p.lonLat[1]),
          speedMps: Math.round(p.speedMps * 10) / 10,
          headingDeg: Math.round(p.headingDeg * 10) / 10,
        }
      }),
    }
  })
}

/**
 * Bytes on the wire per delivered record when `records` go through a real agent (its defaults: gzip batches)
 * as a backlog does, beside the JSON each record is on its own. Vehicles keep their 30 m distance filter.
 */
async function throughAgent(url: string, kind: DeviceKind, stream: StreamName, records: readonly unknown[]): Promise<PhaseResult> {
  const tmp = tempDir()
  const deviceId = `bench-wire-${kind}`
  const sub = await mqtt.connectAsync(url, { clientId: `bench-wire-sub-${kind}`, clean: true })
  let wire = 0
  let delivered = 0
  let messages = 0
  sub.on('message', (_t, p) => {
    wire += p.length
    messages++
    delivered += decodeEnvelope(p).records.length
  })
  await sub.subscribeAsync(`dt/edgetwin/${kind}/${deviceId}/${stream}`, { qos: 1 })
  const agent = createAgent({
    deviceId,
    kind,
    dataDir: tmp.dir,
    logLevel: 'warn',
    healthIntervalS: 0,
    broker: { url },
    ...(kind === 'vehicle' ? { vehicle: { distanceFilterM: 30, minIntervalS: 0 } } : {}),
  })
  await agent.start()
  let stored = 0
  let json = 0
  for (let i = 0; i < records.length; i += 1000) {
    const results = await Promise.all(records.slice(i, i + 1000).map((r) => agent.accept(stream, r)))
    results.forEach((r, k) => {
      if (r.seq === null) return
      stored++
      json += JSON.stringify(records[i + k]).length
    })
  }
  while (delivered < stored) await new Promise((r) => setTimeout(r, 10))
  await agent.close()
  await sub.endAsync()
  tmp.cleanup()
  return { records: records.length, stored, messages, jsonBytesPerRecord: json / stored, wireBytesPerRecord: wire / delivered }
}

/** Wire bytes per record on the turbine model's and the fleet simulator's records. */
export async function realisticWire(url: string, fleetFile: string): Promise<PhaseResult> {
  const turbine = await throughAgent(url, 'turbine', 'metrics', await turbineModelRecords(5, 1200))
  const vans = fleetRecords(fleetFile, 20, 30)
  const positions = vans.flatMap((v) => v.records)
  const vehicle = await throughAgent(url, 'vehicle', 'position', positions)
  return {
    turbineRecords: turbine.stored!,
    turbineJsonBytes: turbine.jsonBytesPerRecord!,
    turbineWireBytes: turbine.wireBytesPerRecord!,
    vehicleRecords: vehicle.stored!,
    vehicleSamples: vehicle.records!,
    vehicleJsonBytes: vehicle.jsonBytesPerRecord!,
    vehicleWireBytes: vehicle.wireBytesPerRecord!,
  }
}
