/**
 * `npm run bench:dispatch [MB]`: post-processing a big `.out` file while a client polls `/healthz` every 50 ms.
 * The file has the rotor model's 10 channels at a 0.001 s step, written until it reaches the size asked (default
 * 300 MB, the size of the issue's run of durationS 3000, dtS = outputDtS = 0.001; about 3.7 million rows). Measured in the same run: the streaming post-processor (`summarizeOutFile`)
 * and, as the ceiling, the whole-file approach it replaced (`parseOutFile` + `summarizeOutput`): the longest
 * /healthz answer, the process's peak RSS above its start, and the wall time of each.
 */

import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OUTPUT_CHANNELS, parseOutFile, summarizeOutput } from '@edgetwin/turbine-model'
import pino from 'pino'
import { parseDispatchConfig, startDispatchServer, summarizeOutFile } from '../src/index.js'

const targetMb = Number(process.argv[2] ?? 300)

async function writeBigOut(path: string): Promise<{ rows: number; bytes: number }> {
  const out = createWriteStream(path)
  const names = OUTPUT_CHANNELS.map((c) => c.name)
  out.write(`edgetwin bench file\n\n${names.join('\t')}\n${OUTPUT_CHANNELS.map((c) => `(${c.unit})`).join('\t')}\n`)
  let bytes = 0
  let rows = 0
  const dt = 0.001
  while (bytes < targetMb * 1e6) {
    const lines: string[] = []
    for (let k = 0; k < 10_000; k++, rows++) {
      const t = rows * dt
      const row = [t.toFixed(3)]
      for (let c = 1; c < names.length; c++) row.push((1000 * Math.sin(t * c) + 1150).toExponential(3))
      lines.push(row.join('\t'))
    }
    const chunk = `${lines.join('\n')}\n`
    bytes += chunk.length
    if (!out.write(chunk)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
  return { rows, bytes }
}

interface Figures {
  wallMs: number
  maxHealthzMs: number
  peakRssMb: number
}

async function measure(url: string, work: () => Promise<unknown>): Promise<Figures> {
  global.gc?.()
  const rss0 = process.memoryUsage().rss
  let peak = rss0
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 20)
  // The longest time between two /healthz answers (asked every 50 ms): a blocked event loop answers nothing.
  let maxHealthzMs = 0
  let polling = true
  const poller = (async () => {
    let last = performance.now()
    do {
      await new Promise((r) => setTimeout(r, 50))
      await fetch(`${url}/healthz`).then((r) => r.arrayBuffer())
      const now = performance.now()
      maxHealthzMs = Math.max(maxHealthzMs, now - last)
      last = now
    } while (polling)
  })()
  await new Promise((r) => setTimeout(r, 200))
  const t0 = performance.now()
  await work()
  const wallMs = performance.now() - t0
  polling = false
  await poller
  clearInterval(sampler)
  peak = Math.max(peak, process.memoryUsage().rss)
  return { wallMs, maxHealthzMs, peakRssMb: (peak - rss0) / 1e6 }
}

const dir = await mkdtemp(join(tmpdir(), 'edgetwin-bench-dispatch-'))
try {
  const file = join(dir, 'simulation.out')
  const { rows, bytes } = await writeBigOut(file)
  const config = parseDispatchConfig({ dataDir: join(dir, 'data'), port: 0, logLevel: 'silent', auth: { enabled: false } })
  const server = await startDispatchServer(config, { bearerTokens: [], log: pino({ level: 'silent' }) })
  const ctx = { id: 'bench', engine: 'rotor-model' as const, engineVersion: 'bench', overspeedGeneratorRpm: 1291 }
  const streaming = await measure(server.url, () => summarizeOutFile(file, join(dir, 'summary.json'), ctx))
  const whole = await measure(server.url, async () => summarizeOutput(parseOutFile(await readFile(file, 'utf8'))))
  await server.close()
  const line = (label: string, f: Figures) =>
    `${label.padEnd(44)} wall ${(f.wallMs / 1000).toFixed(1).padStart(6)} s   longest /healthz gap ${f.maxHealthzMs.toFixed(0).padStart(6)} ms   peak RSS +${f.peakRssMb.toFixed(0).padStart(5)} MB\n`
  process.stdout.write(`post-processing ${(bytes / 1e6).toFixed(0)} MB, ${rows.toLocaleString('en-US')} rows (node ${process.version})\n`)
  process.stdout.write(line('streaming summarizeOutFile', streaming))
  process.stdout.write(line('ceiling: parseOutFile + summarizeOutput', whole))
} finally {
  await rm(dir, { recursive: true, force: true })
}
