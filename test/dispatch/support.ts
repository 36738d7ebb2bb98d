import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp, type DispatchApp, type DispatchDeps, parseDispatchConfig } from '@edgetwin/openfast-container'
import { formatOutFile, runSimulation } from '@edgetwin/turbine-model'
import pino from 'pino'
import { afterEach, beforeEach } from 'vitest'

/** 32 random bytes, hex (the server refuses tokens under 256 bits). */
export const TOKEN = 'c0f6e1b27d9a4e58b3f1a6d0e9c47b2a5f8d1e3c6b9a0f7e2d4c8b1a3e5f7d9c'
export const AUTH = { authorization: `Bearer ${TOKEN}` }
export const silentLog = pino({ level: 'silent' })

export async function tempDir(prefix = 'edgetwin-dispatch-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** A real OpenFAST-format `.out` file (from the reduced-order model) that the fake executable copies into place. */
export async function writeOutFixture(path: string, durationS = 5): Promise<void> {
  const output = runSimulation({ windSpeedMps: 14, durationS, outputDtS: 0.1 })
  await writeFile(path, formatOutFile(output, 'fixture for the fake openfast executable'))
}

/**
 * Writes a small executable standing in for `openfast`: a POSIX shell script whose body the test gives.
 * `$1` is the entry .fst path the engine passes; `${1%.fst}.out` is where OpenFAST writes its output.
 */
export async function writeFakeOpenfast(dir: string, body: string, name = 'openfast'): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, `#!/bin/sh\n${body}\n`)
  await chmod(path, 0o755)
  return path
}

/** A fake openfast that prints OpenFAST's status lines, then copies `fixture` to `<RootName>.out`. */
export function succeedingScript(fixture: string, extra = ''): string {
  return [
    'echo " OpenFAST (v4.1.2)"',
    `printf ' Timestep: 1 of 4 seconds.\\r Timestep: 2 of 4 seconds.\\r'`,
    'sleep 0.05',
    `printf ' Timestep: 3 of 4 seconds.\\r Timestep: 4 of 4 seconds.\\n'`,
    extra,
    `cp '${fixture}' "\${1%.fst}.out"`,
    'echo " OpenFAST terminated normally."',
  ].join('\n')
}

export function testConfig(dataDir: string, overrides: Record<string, unknown> = {}, openfastExecutable = '/nonexistent/openfast') {
  const { limits, openfast, ...rest } = overrides as { limits?: object; openfast?: object }
  return parseDispatchConfig({
    dataDir,
    logLevel: 'silent',
    limits: { maxConcurrentRuns: 2, maxQueuedRuns: 4, killGraceMs: 500, ...limits },
    openfast: { executable: openfastExecutable, controllerLibraryPath: '/opt/rosco/libdiscon.so', ...openfast },
    ...rest,
  })
}

export async function testApp(
  dataDir: string,
  overrides: Record<string, unknown> = {},
  openfastExecutable?: string,
  deps: Partial<DispatchDeps> = {},
): Promise<DispatchApp> {
  return buildApp(testConfig(dataDir, overrides, openfastExecutable), { bearerTokens: [TOKEN], log: silentLog, ...deps })
}

/**
 * A fresh temporary folder per test (`t.dir`) and the app the test builds (`t.app`), closed and removed after it.
 * Call at the top of a test file.
 */
export function perTestApp(): { dir: string; app: DispatchApp | undefined } {
  const t: { dir: string; app: DispatchApp | undefined } = { dir: '', app: undefined }
  let cleanup: (() => Promise<void>) | undefined
  beforeEach(async () => {
    ;({ dir: t.dir, cleanup } = await tempDir())
  })
  afterEach(async () => {
    await t.app?.close()
    t.app = undefined
    await cleanup?.()
  })
  return t
}

/** `PUT /execute` with `body`, then waits for the run to finish; returns its id and final status. */
export async function executeAndWait(
  app: DispatchApp,
  body: object,
): Promise<{ id: string; status: Awaited<ReturnType<typeof waitForFinish>> }> {
  const res = await app.inject({ method: 'PUT', url: '/execute', headers: AUTH, payload: body })
  if (res.statusCode !== 202) throw new Error(`PUT /execute answered ${res.statusCode}: ${res.body}`)
  const id = res.json().id as string
  return { id, status: await waitForFinish(app, id) }
}

/** Polls `GET /status?id=` until the run leaves QUEUED/RUNNING. */
export async function waitForFinish(
  app: DispatchApp,
  id: string,
  timeoutMs = 30_000,
): Promise<{ state: string; error?: string; progress: number }> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const res = await app.inject({ method: 'GET', url: `/status?id=${id}`, headers: AUTH })
    const body = res.json()
    if (body.state !== 'QUEUED' && body.state !== 'RUNNING') return body
    if (Date.now() > deadline) throw new Error(`simulation ${id} still ${body.state} after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** A multipart/form-data body; `disposition` overrides the raw Content-Disposition parameters of a part. */
export function multipartBody(parts: { filename: string; content: string | Buffer; disposition?: string }[]): {
  payload: Buffer
  headers: Record<string, string>
} {
  const boundary = '----edgetwinTestBoundary7MA4YWxkTrZu0gW'
  const chunks: Buffer[] = []
  for (const p of parts) {
    const disposition = p.disposition ?? `form-data; name="file"; filename="${p.filename}"`
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\nContent-Type: application/octet-stream\r\n\r\n`, 'utf8'),
    )
    chunks.push(Buffer.isBuffer(p.content) ? p.content : Buffer.from(p.content, 'latin1'))
    chunks.push(Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

/** The template deck's files as upload parts (`Airfoils/...` keep their folder). */
export async function templateDeckParts(deckDir: string): Promise<{ filename: string; content: Buffer }[]> {
  const { readdir, readFile } = await import('node:fs/promises')
  const { relative } = await import('node:path')
  const entries = await readdir(deckDir, { recursive: true, withFileTypes: true })
  const files = entries.filter((e) => e.isFile() && e.name !== 'ATTRIBUTION.md').map((e) => join(e.parentPath, e.name))
  return Promise.all(files.map(async (f) => ({ filename: relative(deckDir, f), content: await readFile(f) })))
}
