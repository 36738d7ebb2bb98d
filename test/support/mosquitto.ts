import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { chownSync, mkdtempSync, writeFileSync } from 'node:fs'
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

/**
 * The uid Mosquitto runs as when started by root: Debian's broker drops to its own `mosquitto` user before it writes
 * anything, so a directory it must write to (persistence) belongs to that user, as /var/lib/mosquitto does.
 * Undefined when we are not root (the broker then keeps our uid) or there is no such user.
 */
export function mosquittoUid(): number | undefined {
  if (process.getuid?.() !== 0) return undefined
  try {
    return Number(execFileSync('id', ['-u', 'mosquitto'], { encoding: 'utf8' }).trim())
  } catch {
    return undefined
  }
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
  // Without this, a broker started by root could not write its persistence file, and every "persistent" session
  // silently died with the broker: a test's subscriber lost whatever was published before it subscribed again.
  const uid = mosquittoUid()
  if (uid !== undefined) chownSync(dir, uid, 0)
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
