import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseDispatchConfig, startDispatchServer } from '@edgetwin/openfast-container'
import pino from 'pino'
import { expect, it } from 'vitest'

it('closes without waiting on a keep-alive connection that goes idle after close() began', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'edgetwin-dispatch-close-'))
  const server = await startDispatchServer(parseDispatchConfig({ port: 0, dataDir, logLevel: 'warn' }), {
    bearerTokens: [randomBytes(32).toString('hex')],
    log: pino({ level: 'silent' }),
  })
  try {
    const { port } = new URL(server.url)
    const socket = connect(Number(port), '127.0.0.1')
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    let answer = ''
    socket.on('data', (d) => {
      answer += d.toString()
    })
    const closedByServer = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    // A request in flight when close() starts: its headers are in, its body is not.
    const body = JSON.stringify({ engine: 'rotor-model', windSpeedMps: 12, durationS: 5 })
    socket.write(
      `PUT /execute HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: keep-alive\r\n\r\n`,
    )
    await new Promise((r) => setTimeout(r, 100))
    const closed = server.close()
    socket.write(body)
    // The request is answered (401: no token), the connection then goes idle and the client keeps it open. Before, the
    // server waited on it for Fastify's 72 s keep-alive (a test's afterAll timed out at 60 s); now it is closed.
    await closed
    await closedByServer
    expect(answer).toMatch(/^HTTP\/1\.1 401 /)
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
})
