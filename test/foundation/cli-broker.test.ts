import { execFile, spawn } from 'node:child_process'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { spawnCli, stop, waitForOutput } from '../support/cli.js'
import { freePort } from '../support/ports.js'

const run = promisify(execFile)

describe('edgetwin CLI', () => {
  const children: ReturnType<typeof spawnCli>[] = []
  afterEach(async () => {
    for (const c of children.splice(0)) await stop(c)
  })

  it('prints help that lists the broker command', async () => {
    const child = spawnCli(['--help'])
    children.push(child)
    const out = await new Promise<string>((resolve) => {
      let text = ''
      child.stdout?.on('data', (c: Buffer) => {
        text += c.toString()
      })
      child.once('exit', () => resolve(text))
    })
    expect(out).toMatch(/Usage: edgetwin/)
    expect(out).toMatch(/broker/)
  })

  it('refuses a port that is not a number', async () => {
    const child = spawnCli(['broker', '--port', 'eighty'])
    children.push(child)
    let err = ''
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString()
    })
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect(code).not.toBe(0)
    expect(err).toMatch(/port must be an integer/)
  })

  it('runs a broker through which mosquitto_pub and mosquitto_sub talk, and stops on SIGTERM', async () => {
    const port = await freePort()
    const broker = spawnCli(['broker', '--port', String(port)])
    children.push(broker)
    await waitForOutput(broker, /listening on mqtt:\/\/127\.0\.0\.1:\d+/)
    const sub = spawn('mosquitto_sub', ['-p', String(port), '-t', '#', '-C', '1', '-v', '-W', '10'])
    let received = ''
    sub.stdout.on('data', (c: Buffer) => {
      received += c.toString()
    })
    const subDone = new Promise<number | null>((resolve) => sub.once('exit', resolve))
    // mosquitto_sub has no "subscribed" signal; publish until it has seen one message.
    for (let i = 0; i < 50 && received === ''; i++) {
      await run('mosquitto_pub', ['-p', String(port), '-t', 'edgetwin/hello', '-m', 'world', '-q', '1'])
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(await subDone).toBe(0)
    expect(received.trim()).toBe('edgetwin/hello world')
    expect(await stop(broker)).toBe(0)
  })
})
