import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { freePort, waitForPort } from '../../support/ports.js'
import { tempDir } from './fixtures.js'

export interface InfluxHandle {
  readonly url: string
  readonly version: string
  query(q: string): Promise<unknown>
  stop(): Promise<void>
}

/** True when `name` is an executable on PATH. */
function commandExists(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, name)))
}

/**
 * Starts the Debian `influxd` (1.x) on free loopback ports with its data in a temp dir. With `authEnabled`, every
 * request needs credentials once a user exists; until then only `CREATE USER … WITH ALL PRIVILEGES` is allowed.
 */
export async function startInfluxd(options: { authEnabled?: boolean } = {}): Promise<InfluxHandle> {
  if (!commandExists('influxd')) {
    throw new Error("influxd is not installed: apt-get install influxdb (Debian's InfluxDB 1.x; .ci/run does)")
  }
  // A port free a moment ago can be taken by another test's server before influxd binds it; influxd then exits and
  // the port answers for someone else. Only a listener whose command line names our config file is ours.
  for (let attempt = 1; ; attempt++) {
    const started = await spawnInfluxd(options)
    if (started) return started
    if (attempt === 3) throw new Error('influxd did not start on its own ports in 3 attempts (each time another server answered)')
  }
}

async function spawnInfluxd(options: { authEnabled?: boolean }): Promise<InfluxHandle | undefined> {
  const tmp = tempDir('edgetwin-influx-')
  const [httpPort, rpcPort] = [await freePort(), await freePort()]
  const conf = join(tmp.dir, 'influxdb.conf')
  writeFileSync(
    conf,
    `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${tmp.dir}/meta"
[data]
  dir = "${tmp.dir}/data"
  wal-dir = "${tmp.dir}/wal"
  query-log-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
  auth-enabled = ${options.authEnabled === true}
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[subscriber]
  enabled = false
`,
  )
  const child: ChildProcess = spawn('influxd', ['-config', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000)
  })
  const url = `http://127.0.0.1:${httpPort}`
  try {
    await waitForPort(httpPort, '127.0.0.1', 20_000)
  } catch (err) {
    child.kill('SIGKILL')
    tmp.remove()
    throw new Error(`influxd did not start: ${stderr}`, { cause: err })
  }
  // /debug/vars is open even with authentication on; its cmdline names the config file of the process answering.
  const vars = (await (await fetch(`${url}/debug/vars`)).json().catch(() => ({}))) as { cmdline?: string[] }
  if (child.exitCode !== null || !vars.cmdline?.includes(conf)) {
    child.kill('SIGKILL')
    tmp.remove()
    return undefined
  }
  const ping = await fetch(`${url}/ping`)
  const version = ping.headers.get('x-influxdb-version') ?? 'unknown'
  return {
    url,
    version,
    async query(q) {
      const res = await fetch(`${url}/query`, { method: 'POST', body: new URLSearchParams({ q }) })
      return res.json()
    },
    async stop() {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill('SIGTERM')
      await exited
      tmp.remove()
    },
  }
}
