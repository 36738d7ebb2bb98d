import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from './support.js'

const ROOT = join(import.meta.dirname, '..', '..')
let dir: string
let cleanup: () => Promise<void>
let child: ChildProcess | undefined
beforeEach(async () => {
  ;({ dir, cleanup } = await tempDir())
})
afterEach(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL')
    await new Promise((r) => child!.once('close', r))
  }
  child = undefined
  await cleanup()
})

function serve(args: string[], env: NodeJS.ProcessEnv): { url: Promise<string>; exited: Promise<number | null>; stderr: () => string } {
  child = spawn(process.execPath, ['--conditions=@edgetwin/source', '--import', 'tsx', 'cli/src/main.ts', 'dispatch', 'serve', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stderr!.on('data', (b) => {
    err += b
  })
  const url = new Promise<string>((resolve, reject) => {
    child!.stdout!.on('data', (b) => {
      out += b
      const m = /listening on (http:\/\/\S+)/.exec(out)
      if (m) resolve(m[1])
    })
    child!.once('close', () => reject(new Error(`server exited: ${err}`)))
  })
  // A test that expects the server to fail never awaits `url`.
  url.catch(() => undefined)
  const exited = new Promise<number | null>((r) => child!.once('close', (code) => r(code)))
  return { url, exited, stderr: () => err }
}

describe('edgetwin dispatch serve', () => {
  it('serves the API over HTTP with a token from the environment and shuts down on SIGTERM', async () => {
    const config = join(dir, 'dispatch.json')
    await writeFile(config, JSON.stringify({ dataDir: join(dir, 'data'), logLevel: 'warn', auth: { tokenEnv: 'TEST_DISPATCH_TOKEN' } }))
    const [tok1, tok2] = [randomBytes(32).toString('hex'), randomBytes(32).toString('base64url')]
    const { url, exited } = serve(['--config', config, '--port', '0'], { TEST_DISPATCH_TOKEN: `${tok1},${tok2}` })
    const base = await url
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
    expect((await fetch(`${base}/status`)).status).toBe(401)
    const res = await fetch(`${base}/execute`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${tok2}`, 'content-type': 'application/json' },
      body: JSON.stringify({ engine: 'rotor-model', windSpeedMps: 10, durationS: 5 }),
    })
    expect(res.status).toBe(202)
    const docs = await fetch(`${base}/docs/json`)
    expect(Object.keys((await docs.json()).paths)).toContain('/upload_to_s3')
    child!.kill('SIGTERM')
    expect(await exited).toBe(0)
  })

  it('refuses to start with authentication on and no token', async () => {
    const config = join(dir, 'dispatch.json')
    await writeFile(config, JSON.stringify({ dataDir: join(dir, 'data'), auth: { tokenEnv: 'TEST_DISPATCH_TOKEN_UNSET' } }))
    const { exited, stderr } = serve(['--config', config, '--port', '0'], {})
    expect(await exited).toBe(1)
    expect(stderr()).toContain('DISPATCH_CONFIG_INVALID')
  })
})
