import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import type { DispatchApp } from '@edgetwin/openfast-container'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { executeAndWait, tempDir, testApp, writeFakeOpenfast, writeOutFixture } from './support.js'

let dir: string
let cleanup: () => Promise<void>
let app: DispatchApp | undefined
let server: Server
let connections = 0
let port = 0
beforeEach(async () => {
  ;({ dir, cleanup } = await tempDir())
  connections = 0
  server = createServer((s) => {
    connections++
    s.end()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  port = (server.address() as { port: number }).port
})
afterEach(async () => {
  await app?.close()
  app = undefined
  await new Promise((r) => server.close(r))
  await cleanup()
})

/** A fake openfast that tries the test's TCP server on loopback, records its resource limits, then succeeds. */
async function probingOpenfast(): Promise<string> {
  const fixture = join(dir, 'fixture.out')
  await writeOutFixture(fixture)
  const probe = `require('net').connect(${port}, '127.0.0.1').on('connect', () => { require('fs').writeFileSync('${dir}/net.txt', 'connected'); process.exit(0) }).on('error', (e) => { require('fs').writeFileSync('${dir}/net.txt', e.code); process.exit(0) })`
  return writeFakeOpenfast(
    dir,
    [
      `"${process.execPath}" -e "${probe.replace(/"/g, '\\"')}"`,
      `cat /proc/self/limits > '${dir}/limits.txt'`,
      `cp '${fixture}' "\${1%.fst}.out"`,
    ].join('\n'),
  )
}

async function runOnce(network: 'isolate' | 'off'): Promise<{ net: string; limits: string }> {
  app = await testApp(
    join(dir, 'data'),
    { openfast: { sandbox: { network } }, limits: { maxOutputBytes: 64 * 1024 * 1024 } },
    await probingOpenfast(),
  )
  expect((await executeAndWait(app, { engine: 'openfast', windSpeedMps: 9, durationS: 5 })).status).toMatchObject({ state: 'SUCCEEDED' })
  return { net: await readFile(join(dir, 'net.txt'), 'utf8'), limits: await readFile(join(dir, 'limits.txt'), 'utf8') }
}

const limit = (limits: string, name: string) => new RegExp(`^${name}\\s+(\\S+)`, 'm').exec(limits)?.[1]

describe('the openfast child runs with least privilege', () => {
  it('has no network (its own namespace) and resource limits', async () => {
    const { net, limits } = await runOnce('isolate')
    expect(connections).toBe(0)
    expect(['ENETUNREACH', 'ECONNREFUSED', 'EHOSTUNREACH']).toContain(net)
    expect(limit(limits, 'Max file size')).toBe(String(2 * 64 * 1024 * 1024))
    expect(limit(limits, 'Max address space')).toBe(String(8 * 1024 ** 3))
    expect(limit(limits, 'Max open files')).toBe('1024')
    expect(limit(limits, 'Max core file size')).toBe('0')
    expect(limit(limits, 'Max cpu time')).toBe(String(3600 + 60))
  })

  it('reaches the network with network: off (the control case, so the probe can see a connection)', async () => {
    const { net } = await runOnce('off')
    expect(net).toBe('connected')
    expect(connections).toBe(1)
  })
})

describe('a missing executable behind the sandbox wrapper', () => {
  it('is reported as an executable that could not be started, by path or by name', async () => {
    for (const executable of [join(dir, 'no-such-openfast'), 'no-such-openfast-on-path']) {
      app = await testApp(join(dir, 'data'), {}, executable)
      const { status } = await executeAndWait(app, { engine: 'openfast', windSpeedMps: 9, durationS: 5 })
      expect([executable, status.state, status.error]).toEqual([
        executable,
        'FAILED',
        expect.stringMatching(/^openfast could not be started/),
      ])
      await app.close()
      app = undefined
    }
  })
})
