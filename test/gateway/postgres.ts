import { execFile } from 'node:child_process'
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { freePort } from '../support/ports.js'

const run = promisify(execFile)

/** Debian's PostgreSQL 15 (apt-get install postgresql, which .ci/run does). */
export const PG_BIN = '/usr/lib/postgresql/15/bin'

export interface PostgresHandle {
  readonly host: '127.0.0.1'
  readonly port: number
  readonly dir: string
  /** A superuser client over the unix socket (local connections are trusted; TCP needs a password). */
  admin(database?: string): Promise<pg.Client>
  /** Creates a login role with a password (TCP logins use SCRAM-SHA-256) and a database it owns. */
  createUserAndDatabase(user: string, password: string, database: string): Promise<void>
  /** Stops the server (fast shutdown: open connections are cut), keeping the data; `start()` brings it back on the same port. */
  stop(): Promise<void>
  start(): Promise<void>
  /** Stops the server and deletes its directory. */
  destroy(): Promise<void>
}

function postgresIds(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'))
  if (!line) throw new Error('running as root but there is no postgres user: apt-get install postgresql creates it')
  const [, , uid, gid] = line.split(':')
  return { uid: Number(uid), gid: Number(gid) }
}

/**
 * Starts a throw-away PostgreSQL 15 cluster on a free loopback port. initdb and the server refuse to run as
 * root, so as root they run as the `postgres` user (runuser) in a temp directory owned by it; the unix socket
 * lives in that directory too, so nothing touches /var/run/postgresql.
 */
export async function startPostgres(): Promise<PostgresHandle> {
  if (!existsSync(join(PG_BIN, 'initdb')))
    throw new Error(`PostgreSQL 15 is not installed at ${PG_BIN}: apt-get install postgresql (.ci/run does)`)
  const ids = postgresIds()
  const dir = mkdtempSync(join(tmpdir(), 'edgetwin-pg-'))
  const data = join(dir, 'data')
  const socketDir = join(dir, 'socket')
  mkdirSync(socketDir)
  const superPassword = `pw-${Math.random().toString(36).slice(2)}`
  writeFileSync(join(dir, 'pwfile'), `${superPassword}\n`, { mode: 0o600 })
  if (ids) for (const p of [dir, socketDir, join(dir, 'pwfile')]) chownSync(p, ids.uid, ids.gid)
  const asPostgres = (bin: string, args: string[]) =>
    ids ? run('runuser', ['-u', 'postgres', '--', join(PG_BIN, bin), ...args]) : run(join(PG_BIN, bin), args)

  await asPostgres('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    `--pwfile=${join(dir, 'pwfile')}`,
    '-E',
    'UTF8',
    '--no-sync',
    '--no-instructions',
  ])
  const port = await freePort()
  // fsync off and a small shared_buffers: a disposable test cluster on 2 shared cores.
  const options = `-p ${port} -k ${socketDir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=16MB -c max_connections=30`
  const handle: PostgresHandle = {
    host: '127.0.0.1',
    port,
    dir,
    async admin(database = 'postgres') {
      const client = new pg.Client({ host: socketDir, port, user: 'postgres', database })
      await client.connect()
      return client
    },
    async createUserAndDatabase(user, password, database) {
      const c = await handle.admin()
      try {
        await c.query(`CREATE ROLE "${user}" LOGIN PASSWORD '${password.replaceAll("'", "''")}'`)
        await c.query(`CREATE DATABASE "${database}" OWNER "${user}"`)
      } finally {
        await c.end()
      }
    },
    async start() {
      await asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', options, '-w', '-t', '30', 'start'])
    },
    async stop() {
      await asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop'])
    },
    async destroy() {
      await handle.stop().catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    },
  }
  await handle.start()
  return handle
}
