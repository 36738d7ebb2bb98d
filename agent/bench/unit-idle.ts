import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The command the systemd unit runs (examples/edgetwin-agent.service), as built by `npm run build`. */
export const CLI_MAIN = fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url))
/** The single-file agent the unit runs since #17 (`npm run bundle:agent`, part of `npm run build`). */
export const BUNDLE_MAIN = fileURLToPath(new URL('../dist/edgetwin-agent.mjs', import.meta.url))

/**
 * RSS of `<main> agent run` (the CLI by default, or the bundle), under `nodeFlags` and `env` (the unit's), once it is connected and has stored one
 * health report: what the unit's process holds, which the bundled phases can only approach. No GC is forced
 * (the command cannot be asked to), so garbage from start-up may still be counted: an upper bound.
 * Returns undefined when `main` is not built.
 */
export async function unitIdleRssMb(
  url: string,
  nodeFlags: readonly string[],
  env: Record<string, string>,
  main: string = CLI_MAIN,
): Promise<number | undefined> {
  if (!existsSync(main)) return undefined
  const dir = mkdtempSync(join(tmpdir(), 'edgetwin-bench-unit-'))
  const config = join(dir, 'agent.json')
  writeFileSync(
    config,
    JSON.stringify({ deviceId: 'bench-unit', kind: 'turbine', dataDir: dir, logLevel: 'info', healthIntervalS: 1, broker: { url } }),
  )
  const child = spawn(process.execPath, [...nodeFlags, main, 'agent', 'run', '--config', config], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  })
  try {
    // Wait on progress: the agent's own log says it is connected; then the first health report is committed.
    let log = ''
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        log += d
        if (log.includes('mqtt connected')) resolve()
      })
      child.once('exit', (code) => reject(new Error(`edgetwin agent run exited with ${code}: ${log.slice(-500)}`)))
    })
    await new Promise((r) => setTimeout(r, 2500))
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
    }
    rmSync(dir, { recursive: true, force: true })
  }
}
