import { type ChildProcess, spawn } from 'node:child_process'
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLAIM_CN, CLOUD_CN, claimAcl, devicesAcl, LocalCa, mosquittoTlsConfig, PROVISIONER_CN } from '@edgetwin/cloud/provisioning'
import { mosquittoPath, mosquittoUid } from '../support/mosquitto.js'
import { freePort, waitForPort } from '../support/ports.js'

export interface Pem {
  readonly cert: string
  readonly key: string
  readonly serialHex: string
}

export interface TlsBroker {
  readonly dir: string
  readonly ca: LocalCa
  readonly devicesUrl: string
  readonly claimUrl: string
  readonly provisioner: Pem
  readonly cloud: Pem
  readonly claim: Pem
  readonly paths: { readonly devicesAcl: string; readonly claimAcl: string }
  /** SIGHUP: Mosquitto re-reads its ACL files and certificates. */
  reload(): void
  restart(): Promise<void>
  stop(): Promise<void>
}

/**
 * A real Mosquitto 2 with the two mTLS listeners the project generates for local fleet provisioning, a fresh local
 * CA, and client certificates for the provisioner, the cloud and one claim.
 */
export async function startTlsBroker(templates: readonly string[]): Promise<TlsBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'edgetwin-provisioning-'))
  const ca = await LocalCa.open(join(dir, 'ca'))
  const issue = async (cn: string): Promise<Pem> => {
    const k = await ca.issueKeyAndCertificate(cn, 2)
    return { cert: k.certificatePem, key: k.privateKeyPem, serialHex: k.serialHex }
  }
  const server = await ca.issueKeyAndCertificate('localhost', 2, { dnsNames: ['localhost'], ips: ['127.0.0.1'] })
  writeFileSync(join(dir, 'broker.crt'), server.certificatePem)
  writeFileSync(join(dir, 'broker.key'), server.privateKeyPem, { mode: 0o600 })
  // Mosquitto started as root drops to its own user before it reads these files (the CA key stays root's, 0600).
  chmodSync(dir, 0o755)
  chmodSync(ca.dir, 0o755)
  const uid = mosquittoUid()
  if (uid !== undefined) chownSync(join(dir, 'broker.key'), uid, 0)
  const paths = { devicesAcl: join(dir, 'devices.acl'), claimAcl: join(dir, 'claim.acl') }
  writeFileSync(paths.devicesAcl, devicesAcl([], 0))
  writeFileSync(paths.claimAcl, claimAcl(templates, false))
  const [devicesPort, claimPort] = [await freePort(), await freePort()]
  const conf = join(dir, 'mosquitto.conf')
  writeFileSync(
    conf,
    [
      'log_dest stderr',
      'log_type error',
      'persistence false',
      mosquittoTlsConfig(
        { host: '127.0.0.1', devicesPort, claimPort },
        {
          caFile: ca.certificatePath,
          certFile: join(dir, 'broker.crt'),
          keyFile: join(dir, 'broker.key'),
          crlFile: ca.crlPath,
          ...paths,
        },
      ),
    ].join('\n'),
  )
  let child: ChildProcess | undefined
  const start = async () => {
    child = spawn(mosquittoPath(), ['-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] })
    await Promise.all([waitForPort(devicesPort), waitForPort(claimPort)])
  }
  const stop = async () => {
    const c = child
    child = undefined
    if (!c || c.exitCode !== null) return
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()))
    c.kill('SIGTERM')
    await exited
  }
  await start()
  const [provisioner, cloud, claim] = await Promise.all([issue(PROVISIONER_CN), issue(CLOUD_CN), issue(CLAIM_CN)])
  return {
    dir,
    ca,
    devicesUrl: `mqtts://127.0.0.1:${devicesPort}`,
    claimUrl: `mqtts://127.0.0.1:${claimPort}`,
    provisioner,
    cloud,
    claim,
    paths,
    reload: () => child?.kill('SIGHUP'),
    restart: async () => {
      await stop()
      await start()
    },
    stop: async () => {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
