import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isCloudError, startEmbeddedBroker } from '@edgetwin/cloud'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../support/cli.js'
import { freePort } from '../support/ports.js'

// A start-up failure that hangs never exits: the test's timeout is what fails then.
describe('a server whose port is taken exits non-zero and says which port', () => {
  let taken: Server
  let port: number
  let dir: string
  beforeAll(async () => {
    taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    port = (taken.address() as { port: number }).port
    dir = mkdtempSync(join(tmpdir(), 'edgetwin-busy-'))
  })
  afterAll(async () => {
    await new Promise((resolve) => taken.close(resolve))
    rmSync(dir, { recursive: true, force: true })
  })

  it('startEmbeddedBroker rejects with CLOUD_PORT_IN_USE', async () => {
    const err = await startEmbeddedBroker({ port }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isCloudError(err, 'CLOUD_PORT_IN_USE')).toBe(true)
    expect((err as Error).message).toContain(`port ${port} is in use`)
  })

  it('edgetwin broker', async () => {
    const r = await runCli(['broker', '--port', String(port)])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`[CLOUD_PORT_IN_USE] port ${port} is in use`)
  })

  it('edgetwin demo (npm start)', async () => {
    const r = await runCli(['demo', '--port', String(port), '--exit', '--data-dir', join(dir, 'demo')])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`port ${port} is in use`)
  })

  it('edgetwin cloud run --with-broker', async () => {
    const config = join(dir, 'cloud.json')
    writeFileSync(config, JSON.stringify({ broker: { url: `mqtt://127.0.0.1:${port}` }, dataDir: join(dir, 'cloud') }))
    const r = await runCli(['cloud', 'run', '--config', config, '--with-broker'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`port ${port} is in use`)
  })

  it('edgetwin cloud run, its web console port taken', async () => {
    const config = join(dir, 'cloud-console.json')
    const brokerPort = await freePort()
    writeFileSync(config, JSON.stringify({ broker: { url: `mqtt://127.0.0.1:${brokerPort}` }, dataDir: join(dir, 'cloud-console') }))
    // The broker and the router start first; the console's failure must close them and end the process.
    const r = await runCli(['cloud', 'run', '--config', config, '--with-broker', '--console-port', String(port)])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`port ${port}`)
    expect(r.stderr).toContain('in use')
  })

  it('edgetwin dispatch serve', async () => {
    const r = await runCli(['dispatch', 'serve', '--port', String(port)], {
      EDGETWIN_DISPATCH_TOKEN: '9e1f3c5a7b2d4f6e8a0c1e3b5d7f9a2c4e6b8d0f1a3c5e7b9d2f4a6c8e0b1d3f',
    })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`port ${port} is in use`)
  })
})
