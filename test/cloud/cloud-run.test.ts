import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import mqtt from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { repoRoot, spawnCli, stop, waitForOutput } from '../support/cli.js'
import { freePort } from '../support/ports.js'

const run = promisify(execFile)

describe('edgetwin cloud run', () => {
  const dirs: string[] = []
  const children: ReturnType<typeof spawnCli>[] = []
  afterEach(async () => {
    for (const c of children.splice(0)) await stop(c)
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })

  it('runs the jobs service beside the router: a job created with the CLI reaches the thing as notify-next', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgetwin-cloud-run-'))
    dirs.push(dir)
    const port = await freePort()
    const url = `mqtt://127.0.0.1:${port}`
    writeFileSync(join(dir, 'cloud.json'), JSON.stringify({ dataDir: join(dir, 'cloud'), broker: { url }, logLevel: 'warn' }))
    writeFileSync(
      join(dir, 'doc.json'),
      JSON.stringify({ operation: 'controller-update', version: 1, parameters: { pitchIntegralGain: 0.009 } }),
    )
    const cloud = spawnCli(['cloud', 'run', '--config', join(dir, 'cloud.json'), '--with-broker'])
    children.push(cloud)
    const banner = await waitForOutput(cloud, /edgetwin cloud routing from .*jobs: local; twin: off/)
    expect(banner).toContain(url)
    expect(existsSync(join(dir, 'cloud', 'jobs.db'))).toBe(true)

    const thing = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: 'turbine-9' })
    try {
      const notified = new Promise<{ execution?: { jobId: string; status: string } }>((resolve) =>
        thing.on('message', (_topic, payload) => resolve(JSON.parse(payload.toString()))),
      )
      await thing.subscribeAsync('$aws/things/turbine-9/jobs/notify-next', { qos: 1 })
      await run(
        process.execPath,
        [
          '--conditions=@edgetwin/source',
          '--import',
          'tsx',
          join(repoRoot, 'cli/src/main.ts'),
          'jobs',
          'create',
          '--targets',
          'turbine-9',
          '--document',
          join(dir, 'doc.json'),
          '--job-id',
          'cloud-run-test-1',
          '--data-dir',
          join(dir, 'cloud'),
        ],
        { cwd: repoRoot },
      )
      const message = await notified
      expect(message.execution).toMatchObject({ jobId: 'cloud-run-test-1', status: 'QUEUED' })
    } finally {
      await thing.endAsync()
    }
    expect(await stop(cloud)).toBe(0)
  })

  it('refuses a config with an unknown field, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgetwin-cloud-run-'))
    dirs.push(dir)
    writeFileSync(join(dir, 'cloud.json'), JSON.stringify({ dataDir: join(dir, 'cloud'), routr: {} }))
    const cloud = spawnCli(['cloud', 'run', '--config', join(dir, 'cloud.json')])
    children.push(cloud)
    let err = ''
    cloud.stderr?.on('data', (c: Buffer) => {
      err += c.toString()
    })
    const code = await new Promise<number | null>((resolve) => cloud.once('exit', resolve))
    expect(code).not.toBe(0)
    expect(err).toMatch(/routr/)
  })
})
