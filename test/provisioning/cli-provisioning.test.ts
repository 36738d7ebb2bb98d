import { type ChildProcess, spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAgent, loadAgentConfigFile } from '@edgetwin/agent'
import { decodeEnvelope } from '@edgetwin/shared-schemas'
import mqtt from 'mqtt'
import pino from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { spawnCli, stop, waitForOutput } from '../support/cli.js'
import { mosquittoPath } from '../support/mosquitto.js'
import { freePort, waitForPort } from '../support/ports.js'

// The operator's path, by the CLI only: init the CA and broker config, run Mosquitto and the service, provision a
// device with the claim, then run the agent on the identity it got.

const dir = mkdtempSync(join(tmpdir(), 'edgetwin-cli-provisioning-'))
// Mosquitto started as root drops to its own user, which must be able to reach the broker folder.
chmodSync(dir, 0o755)
const children: ChildProcess[] = []
afterAll(async () => {
  for (const c of children.reverse()) await stop(c)
  rmSync(dir, { recursive: true, force: true })
})

async function cli(args: string[]): Promise<string> {
  const child = spawnCli(args)
  let out = ''
  let err = ''
  child.stdout?.on('data', (d: Buffer) => {
    out += d
  })
  child.stderr?.on('data', (d: Buffer) => {
    err += d
  })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (code !== 0) throw new Error(`edgetwin ${args.join(' ')} exited with ${code}: ${err}`)
  return out
}

describe('edgetwin provisioning and agent provision', () => {
  it('provisions a device from a claim and the agent then publishes over mTLS under its thing name', async () => {
    const [devicesPort, claimPort] = [await freePort(), await freePort()]
    const templateFile = join(dir, 'template.json')
    writeFileSync(
      templateFile,
      JSON.stringify({ name: 'Vans', thingName: 'van-{SerialNumber}', kind: 'vehicle', allowedSerials: ['V-17'] }),
    )
    const brokerDir = join(dir, 'broker')
    const init = await cli([
      'provisioning',
      'init',
      '--dir',
      brokerDir,
      '--template',
      templateFile,
      '--devices-port',
      String(devicesPort),
      '--claim-port',
      String(claimPort),
    ])
    expect(init).toMatch(/local fleet provisioning initialised/)
    expect(statSync(join(brokerDir, 'ca', 'ca.key')).mode & 0o777).toBe(0o600)

    const broker = spawn(mosquittoPath(), ['-c', join(brokerDir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'inherit'] })
    children.push(broker)
    await Promise.all([waitForPort(devicesPort), waitForPort(claimPort)])
    const pidFile = join(dir, 'mosquitto.pid')
    writeFileSync(pidFile, String(broker.pid))
    const service = spawnCli(['provisioning', 'serve', '--dir', brokerDir, '--template', templateFile, '--mosquitto-pid-file', pidFile])
    children.push(service)
    await waitForOutput(service, /local fleet provisioning ready/, 60_000)

    const deviceDir = join(dir, 'device')
    const configFile = join(dir, 'agent.json')
    writeFileSync(
      configFile,
      JSON.stringify({
        deviceId: 'unprovisioned',
        kind: 'vehicle',
        dataDir: join(dir, 'agent-data'),
        broker: { url: `mqtts://127.0.0.1:${devicesPort}`, tls: { caFile: join(brokerDir, 'ca', 'ca.crt') } },
      }),
    )
    const provision = (serial: string) =>
      cli([
        'agent',
        'provision',
        '--claim-cert',
        join(brokerDir, 'claim.crt'),
        '--claim-key',
        join(brokerDir, 'claim.key'),
        '--template',
        'Vans',
        '--serial',
        serial,
        '--broker',
        `mqtts://127.0.0.1:${claimPort}`,
        '--config',
        configFile,
        '--out-dir',
        deviceDir,
      ])
    const refused = await provision('V-99').catch((err: Error) => err.message)
    expect(refused).toMatch(/exited with 1: .*AccessDenied.*V-99 is not allowed/s)

    const out = await provision('V-17')
    expect(JSON.parse(out)).toMatchObject({ thingName: 'van-V-17', keyFile: join(deviceDir, 'van-V-17.private.key') })
    expect(statSync(join(deviceDir, 'van-V-17.private.key')).mode & 0o777).toBe(0o600)
    const config = JSON.parse(readFileSync(configFile, 'utf8'))
    expect(config).toMatchObject({
      deviceId: 'van-V-17',
      broker: { tls: { certFile: join(deviceDir, 'van-V-17.cert.pem'), keyFile: join(deviceDir, 'van-V-17.private.key') } },
    })
    expect(JSON.parse(await cli(['provisioning', 'things', '--dir', brokerDir])).map((t: { thingName: string }) => t.thingName)).toEqual([
      'van-V-17',
    ])

    // The cloud's identity sees what the newly provisioned agent sends.
    const cloud = await mqtt.connectAsync(`mqtts://127.0.0.1:${devicesPort}`, {
      ca: readFileSync(join(brokerDir, 'ca', 'ca.crt')),
      cert: readFileSync(join(brokerDir, 'cloud.crt')),
      key: readFileSync(join(brokerDir, 'cloud.key')),
      protocolVersion: 4,
    })
    const received: string[] = []
    cloud.on('message', (topic, payload) => received.push(`${topic} ${decodeEnvelope(payload).records.length}`))
    await cloud.subscribeAsync('dt/edgetwin/#', { qos: 1 })
    const agent = createAgent(loadAgentConfigFile(configFile), { logger: pino({ level: 'warn' }) })
    await agent.start()
    await agent.accept('position', { sampleTime: new Date().toISOString(), lat: 51.5, lon: -0.12 })
    const deadline = Date.now() + 60_000
    while (!received.some((r) => r.startsWith('dt/edgetwin/vehicle/van-V-17/position')) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50))
    }
    await agent.close()
    await cloud.endAsync()
    expect(received.filter((r) => r.startsWith('dt/edgetwin/vehicle/van-V-17/position'))).toEqual([
      'dt/edgetwin/vehicle/van-V-17/position 1',
    ])
  }, 240_000)
})
