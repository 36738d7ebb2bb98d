import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, waitForPort } from './ports.js'

export interface MosquittoOptions {
  /** Listener port; a free one by default. Keep it across restart() to simulate an outage. */
  readonly port?: number
  /** Extra lines for mosquitto.conf (TLS listeners, ACLs, limits). */
  readonly extraConfig?: string
  /** Keep sessions and retained messages on disk across restarts. @default true */
  readonly persistence?: boolean
}

export interface MosquittoHandle {
  readonly port: number
  readonly url: string
  readonly dir: string
  stop(): Promise<void>
  start(): Promise<void>
  /** SIGSTOP / SIGCONT: the broker keeps its sockets open but answers nothing (a half-open connection). */
  pause(): void
  resume(): void
}

export function mosquittoPath(): string {
  for (const p of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto']) {
    try {
      execFileSync(p, ['-h'], { stdio: 'ignore' })
      return p
    } catch (err) {
      // `mosquitto -h` exits with status 3 after printing its usage; only ENOENT means it is absent.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return p
    }
  }
  throw new Error('mosquitto is not installed: apt-get install mosquitto mosquitto-clients (.ci/run does)')
}

/** Starts a real Mosquitto 2 broker on loopback for a test; `stop()`/`start()` simulate an outage. */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<MosquittoHandle> {
  const bin = mosquittoPath()
  const port = options.port ?? (await freePort())
  const dir = mkdtempSync(join(tmpdir(), 'edgetwin-mosquitto-'))
  const conf = join(dir, 'mosquitto.conf')
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      `persistence ${options.persistence === false ? 'false' : 'true'}`,
      `persistence_location ${dir}/`,
      'max_inflight_messages 0',
      'max_queued_messages 0',
      'log_dest stderr',
      'log_type error',
      options.extraConfig ?? '',
      '',
    ].join('\n'),
  )
  let child: ChildProcess | undefined
  const handle: MosquittoHandle = {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dir,
    async start() {
      if (child) return
      child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
      child.stderr?.on('data', () => {})
      await waitForPort(port)
    },
    pause() {
      child?.kill('SIGSTOP')
    },
    resume() {
      child?.kill('SIGCONT')
    },
    async stop() {
      const c = child
      if (!c) return
      child = undefined
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()))
      c.kill('SIGTERM')
      await exited
    },
  }
  await handle.start()
  return handle
}
