/// <reference lib="dom" />
/**
 * bench:console — 1,000 vehicles at 1 Hz and 100 turbines live through the real cloud (embedded broker, router,
 * tracker, time series) with the console mounted, one headless Chromium on the fleet map and one raw SSE client.
 * Prints the console process's CPU per update, bytes per client per second, and the browser's time to first
 * render and frame times, each beside its ceiling from the same run. It is not a test.
 *   npm run bench:console -- [vehicles] [turbines] [seconds]
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { CHROMIUM, launchBrowser } from '../support/browser.js'
import { startConsoleCloud } from '../support/console-cloud.js'

const vehicles = Number(process.argv[2] ?? 1000)
const turbines = Number(process.argv[3] ?? 100)
const seconds = Number(process.argv[4] ?? 30)
if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`)

const progress = (m: string) => process.stderr.write(`bench:console: ${m}\n`)
progress('starting the cloud and the console')
const env = await startConsoleCloud()
progress(`console on ${env.console.url}; launching Chromium`)
const base = env.console.url
const browser = await launchBrowser()
const line = (k: string, v: string) => console.log(`${k.padEnd(44)} ${v}`)
try {
  // A raw SSE client counts what one client receives, and what it would have received uncoalesced.
  let sseBytes = 0
  let ssePushes = 0
  let uncoalescedBytes = 0
  const sse = new AbortController()
  void (async () => {
    const res = await fetch(`${base}api/live`, { signal: sse.signal })
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      sseBytes += Buffer.byteLength(value)
      buffer += value
      let end = buffer.indexOf('\n\n')
      while (end >= 0) {
        const frame = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const data = frame.split('\n').find((l) => l.startsWith('data: '))
        if (data) {
          ssePushes++
          const u = JSON.parse(data.slice(6)) as { vehicles: unknown[]; turbines: unknown[] }
          // One event per changed vehicle or turbine, as a per-update push would send them.
          for (const item of [...u.vehicles, ...u.turbines])
            uncoalescedBytes += Buffer.byteLength(`event: update\ndata: ${JSON.stringify(item)}\n\n`)
        }
        end = buffer.indexOf('\n\n')
      }
    }
  })().catch(() => {})

  const page = await browser.open(`${base}fleet`, { width: 1280, height: 800 })
  progress('fleet page drawn; starting the load')
  const firstRender = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming
    const fcp = performance.getEntriesByName('first-contentful-paint')[0]
    return { fcpMs: fcp?.startTime ?? null, domContentLoadedMs: nav.domContentLoadedEventEnd, readyMs: performance.now() }
  })
  // Frame times and long tasks while the load runs.
  // A string, not a function: the TypeScript loader would wrap named functions in helpers the page lacks.
  await page.evaluate(`(() => {
    window.frames_ = []
    window.longTasks_ = []
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.longTasks_.push(e.duration) }).observe({ type: 'longtask' })
    let last = performance.now()
    const step = (t) => { window.frames_.push(t - last); last = t; requestAnimationFrame(step) }
    requestAnimationFrame(step)
  })()`)

  progress('measuring frames')
  const cpu0 = process.cpuUsage()
  const hub0 = { ...env.console.live.stats }
  const started = Date.now()
  const load = spawn(
    process.execPath,
    [
      '--conditions=@edgetwin/source',
      '--import',
      'tsx',
      fileURLToPath(new URL('./load.ts', import.meta.url)),
      env.brokerUrl,
      String(vehicles),
      String(turbines),
      String(seconds),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  progress(`load pid ${load.pid}`)
  let loadOut = ''
  load.stdout.on('data', (c: Buffer) => {
    loadOut += c.toString()
  })
  const sseBytes0 = sseBytes
  const ssePushes0 = ssePushes
  await new Promise((resolve) => load.once('exit', resolve))
  progress('load finished; collecting figures')
  // Let the cloud drain its backlog into the bus: wait while position events still arrive (at most 60 s more).
  const vehicleUpdates = vehicles * seconds
  for (let idle = 0, last = -1, waited = 0; idle < 3 && waited < 60; waited++) {
    await new Promise((r) => setTimeout(r, 1000))
    const seen = env.console.live.stats.positionEvents - hub0.positionEvents
    idle = seen === last || seen >= vehicleUpdates ? idle + 1 : 0
    last = seen
  }
  const wallS = (Date.now() - started) / 1000
  const cpu = process.cpuUsage(cpu0)
  const hub = env.console.live.stats
  const updates = Number(/sent (\d+)/.exec(loadOut)?.[1] ?? 0)
  const frames = await page.evaluate(() => (window as unknown as { frames_: number[] }).frames_)
  const longTasks = await page.evaluate(() => (window as unknown as { longTasks_: number[] }).longTasks_)
  const markers = await page.locator('path.vehicle-marker').count()
  const stored = (await env.cloud.ingest.tracker.latest?.())?.length ?? 0
  const deadLetters = await env.cloud.ingest.deadLetters.list({ limit: 5 })
  sse.abort()
  const sorted = [...frames].sort((a, b) => a - b)
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
  const cpuMs = (cpu.user + cpu.system) / 1000
  const clients = 2

  console.log(
    `bench:console  node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; Chromium headless`,
  )
  line('load', `${vehicles} vehicles + ${turbines} turbines, 1 record/s each, ${seconds} s (separate process)`)
  line('updates published (MQTT, QoS 1)', `${updates.toLocaleString('en')} (${loadOut.trim()})`)
  line(
    'vehicles stored by the tracker',
    `${stored}; dead letters: ${deadLetters.length ? deadLetters.map((d) => d.reason).join(', ') : 'none'}`,
  )
  line(
    'position events the cloud delivered to the bus',
    `${(hub.positionEvents - hub0.positionEvents).toLocaleString('en')} of ${vehicleUpdates.toLocaleString('en')} published, in ${wallS.toFixed(1)} s = ${Math.round((hub.positionEvents - hub0.positionEvents) / wallS)}/s (ceiling: ${vehicles}/s offered)`,
  )
  line(
    'cloud+console process CPU',
    `${cpuMs.toFixed(0)} ms over ${wallS.toFixed(1)} s = ${((cpuMs / 1000 / wallS) * 100).toFixed(0)} % of one core (ceiling 100 %)`,
  )
  line('  per update (router, stores, console)', `${((cpuMs * 1000) / Math.max(1, updates)).toFixed(0)} µs`)
  line('  of which the console (bus + pushes)', `${((hub.cpuMicros - hub0.cpuMicros) / Math.max(1, updates)).toFixed(1)} µs per update`)
  line(
    'pushes per client',
    `${ssePushes - ssePushes0} in ${wallS.toFixed(1)} s = ${((ssePushes - ssePushes0) / wallS).toFixed(2)}/s (ceiling 2/s)`,
  )
  line(
    'bytes per client per second',
    `${Math.round((sseBytes - sseBytes0) / wallS).toLocaleString('en')} B/s (one event per update would be ${Math.round(uncoalescedBytes / wallS).toLocaleString('en')} B/s)`,
  )
  line(
    'bytes to all clients (hub)',
    `${Math.round((hub.bytes - hub0.bytes) / wallS / clients).toLocaleString('en')} B/s per client, ${clients} clients`,
  )
  line(
    'browser: first contentful paint',
    `${firstRender.fcpMs?.toFixed(0) ?? '–'} ms (DOMContentLoaded ${firstRender.domContentLoadedMs.toFixed(0)} ms; map, zone and vehicles drawn by ${firstRender.readyMs.toFixed(0)} ms)`,
  )
  line('browser: markers on the map at the end', `${markers} (vehicles reporting: ${vehicles})`)
  line(
    'browser: frame time median / p95 / max',
    `${pct(50).toFixed(1)} / ${pct(95).toFixed(1)} / ${(sorted.at(-1) ?? 0).toFixed(1)} ms over ${frames.length} frames (ceiling 16.7 ms for 60 Hz)`,
  )
  line('browser: long tasks (> 50 ms)', `${longTasks.length}, longest ${Math.max(0, ...longTasks).toFixed(0)} ms`)
  await page.close()
} finally {
  await browser.close()
  await env.close()
}
