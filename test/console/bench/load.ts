/**
 * The bench's load: `vehicles` vehicles and `turbines` turbines each publishing one record a second over MQTT for
 * `seconds`, in a process of its own so the console's process measures only its own CPU. Prints `sent <n>` at the end.
 */
import { type BatchEnvelope, encodeEnvelope, type StreamName, telemetryTopic } from '@edgetwin/shared-schemas'
import mqtt from 'mqtt'

const [url, vehiclesArg, turbinesArg, secondsArg] = process.argv.slice(2)
const vehicles = Number(vehiclesArg)
const turbines = Number(turbinesArg)
const seconds = Number(secondsArg)
const client = await mqtt.connectAsync(url!, { protocolVersion: 4, clientId: 'console-bench-load' })
const seq = new Map<string, number>()
let sent = 0

async function publish(kind: 'vehicle' | 'turbine', deviceId: string, stream: StreamName, data: unknown): Promise<void> {
  const s = (seq.get(deviceId) ?? 0) + 1
  seq.set(deviceId, s)
  const envelope: BatchEnvelope = { deviceId, kind, stream, schemaVersion: 1, firstSeq: s, lastSeq: s, records: [{ seq: s, data }] }
  await client.publishAsync(telemetryTopic(kind, deviceId, stream), encodeEnvelope(envelope, 'none'), { qos: 1 })
  sent++
}

const start = Date.now()
for (let t = 0; t < seconds; t++) {
  const now = new Date()
  const jobs: Promise<void>[] = []
  for (let v = 0; v < vehicles; v++) {
    // A loop around central London, 100 m or more further each second: every update passes the tracker's 30 m filter.
    const angle = (v / vehicles) * 2 * Math.PI + t * 0.02
    const r = 0.05 + (v % 10) * 0.01
    jobs.push(
      publish('vehicle', `veh-${String(v).padStart(4, '0')}`, 'position', {
        sampleTime: now.toISOString(),
        lon: -0.1276 + r * Math.cos(angle) * 1.6,
        lat: 51.5072 + r * Math.sin(angle),
      }),
    )
  }
  for (let i = 0; i < turbines; i++) {
    const wind = 8 + 4 * Math.sin(t / 30 + i)
    jobs.push(
      publish('turbine', `wt-${String(i).padStart(3, '0')}`, 'metrics', {
        time: now.toISOString(),
        windSpeedMps: wind,
        rotorSpeedRpm: 9 + wind / 4,
        generatorSpeedRpm: (9 + wind / 4) * 97,
        generatorPowerKw: Math.min(5000, 30 * wind ** 2),
        generatorTorqueKnm: 40,
        bladePitchDeg: wind > 11.4 ? (wind - 11.4) * 2 : 0,
        alarms: [],
        controllerVersion: 0,
      }),
    )
  }
  await Promise.all(jobs)
  const wait = start + (t + 1) * 1000 - Date.now()
  if (wait > 0) await new Promise((r) => setTimeout(r, wait))
}
await client.endAsync()
process.stdout.write(`sent ${sent} in ${((Date.now() - start) / 1000).toFixed(1)} s\n`)
