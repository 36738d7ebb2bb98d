import { startMosquitto } from '../../test/support/mosquitto.js'
import { freePort } from '../../test/support/ports.js'
import { createAgent } from '../src/index.js'
import { type PhaseResult, rssSampler, tempDir } from './phases.js'
import { recordRing } from './records.js'

const mb = (bytes: number) => bytes / 2 ** 20

async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 300))
  ;(globalThis as { gc?: () => void }).gc?.()
  await new Promise((r) => setTimeout(r, 200))
}

/**
 * Memory of a backlog and its drain, in a process that does nothing else (run it under the device V8 flags):
 * RSS idle after `start()`, while `n` records are accepted with the broker unreachable, then a Mosquitto comes
 * up on the agent's port and the agent drains everything: time from the broker listening to an empty outbox,
 * rate and peak RSS. Reconnect backoff is capped at 1 s here so the drain time measures draining, not waiting.
 */
export async function bufferedThenDrain(n: number): Promise<PhaseResult> {
  const tmp = tempDir()
  const port = await freePort()
  const { stream, record } = recordRing('200B')
  const agent = createAgent({
    deviceId: 'bench-drain',
    kind: 'turbine',
    dataDir: tmp.dir,
    logLevel: 'silent',
    healthIntervalS: 0,
    broker: { url: `mqtt://127.0.0.1:${port}` },
    reconnect: { initialDelayMs: 200, maxDelayMs: 1000 },
    outbox: { maxBytes: 1024 * 1024 * 1024 },
  })
  await agent.start()
  // What start() leaves behind: after a full collection (the phase runs with --expose-gc), so garbage is not counted.
  await settle()
  const idleRssMb = mb(process.memoryUsage().rss)
  const buffering = rssSampler()
  const start = performance.now()
  const batch = 5000
  for (let i = 0; i < n; i += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, n - i) }, (_, k) => agent.accept(stream, record(i + k))))
    // Let timers (the RSS sampler) run between batches.
    await new Promise((r) => setImmediate(r))
  }
  const buffered = performance.now()
  const bufferedDepth = agent.health().queueDepth
  const bufferPeakRssMb = mb(buffering.stop())
  await settle()
  const bufferedRssMb = mb(process.memoryUsage().rss)
  const draining = rssSampler()
  const broker = await startMosquitto({ port, persistence: false })
  const brokerUp = performance.now()
  try {
    while (!agent.mqtt.connected) await new Promise((r) => setTimeout(r, 5))
    const connected = performance.now()
    while (agent.health().queueDepth > 0) await new Promise((r) => setTimeout(r, 5))
    const drained = performance.now()
    const drainPeak = draining.stopWithBreakdown()
    await agent.close()
    return {
      buffered: bufferedDepth,
      idleRssMb,
      bufferPeakRssMb,
      bufferedRssMb,
      acceptPerS: n / ((buffered - start) / 1000),
      reconnectS: (connected - brokerUp) / 1000,
      drainS: (drained - brokerUp) / 1000,
      drainPerS: bufferedDepth / ((drained - connected) / 1000),
      drainPeakRssMb: drainPeak.rssMb,
      drainPeakHeapMb: drainPeak.heapMb,
      drainPeakOutsideHeapMb: drainPeak.outsideHeapMb,
    }
  } finally {
    await broker.stop()
    tmp.cleanup()
  }
}
