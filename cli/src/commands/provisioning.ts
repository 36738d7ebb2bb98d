import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { closeOnSignals } from '../lifecycle.js'

interface InitOptions {
  dir: string
  template: string[]
  host: string
  devicesPort: string
  claimPort: string
}

interface ServeOptions {
  dir: string
  template: string[]
  mosquittoPidFile?: string
}

const collect = (value: string, previous: string[]) => [...previous, value]

function port(value: string, flag: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 65_535) throw new Error(`${flag} ${value}: expected a port number 1–65535`)
  return n
}

async function loadTemplates(files: readonly string[]) {
  const { createValidator, LocalProvisioningTemplate, parseConfig } = await import('@edgetwin/shared-schemas')
  if (files.length === 0) throw new Error('--template <file> is required (a JSON provisioning template; repeatable)')
  const validate = createValidator(LocalProvisioningTemplate)
  return files.map((f) => {
    let raw: unknown
    try {
      raw = JSON.parse(readFileSync(f, 'utf8'))
    } catch (err) {
      throw new Error(`cannot read the provisioning template ${f}: ${(err as Error).message}`)
    }
    try {
      return parseConfig(validate, raw)
    } catch (err) {
      throw new Error(`${f}: ${(err as Error).message}`)
    }
  })
}

/** The uid Mosquitto drops to when started as root (Debian: user `mosquitto`), to own the broker's key. */
function mosquittoUid(): number | undefined {
  if (process.getuid?.() !== 0) return undefined
  try {
    return Number(execFileSync('id', ['-u', 'mosquitto'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim())
  } catch {
    return undefined
  }
}

/** `edgetwin provisioning init|serve|things|revoke`: local fleet provisioning by claim with Mosquitto and mTLS. */
export function registerProvisioningCommands(program: Command): void {
  const cmd = program
    .command('provisioning')
    .description('local fleet provisioning by claim: a CA, Mosquitto mTLS with per-device ACLs, the provisioning service')

  cmd
    .command('init')
    .description(
      'create the local CA, broker, service and claim certificates, and the Mosquitto config (mosquitto.conf, ACL files) in --dir',
    )
    .requiredOption('--dir <dir>', 'folder for the CA, certificates and broker config')
    .option('--template <file>', 'a provisioning template (JSON, LocalProvisioningTemplate; repeatable)', collect, [])
    .option('--host <address>', 'address the broker listens on and its certificate names', '127.0.0.1')
    .option('--devices-port <port>', 'mTLS listener for devices, the cloud and the service', '8883')
    .option('--claim-port <port>', 'mTLS listener for claim certificates (provisioning topics only)', '8884')
    .action(async (opts: InitOptions) => {
      const p = await import('@edgetwin/cloud/provisioning')
      const dir = resolve(opts.dir)
      const templates = await loadTemplates(opts.template)
      const ca = await p.LocalCa.open(join(dir, 'ca'))
      const write = (name: string, text: string, mode = 0o644) => {
        writeFileSync(join(dir, name), text, { mode })
        chmodSync(join(dir, name), mode)
        return join(dir, name)
      }
      const isIp = /^[0-9.]+$|:/.test(opts.host)
      const server = await ca.issueKeyAndCertificate(opts.host, 825, {
        dnsNames: isIp ? ['localhost'] : [opts.host, 'localhost'],
        ips: isIp ? [opts.host, '127.0.0.1'] : ['127.0.0.1'],
      })
      write('broker.crt', server.certificatePem)
      const brokerKey = write('broker.key', server.privateKeyPem, 0o600)
      const uid = mosquittoUid()
      if (uid !== undefined) chownSync(brokerKey, uid, 0)
      for (const [name, cn] of [
        ['provisioner', p.PROVISIONER_CN],
        ['cloud', p.CLOUD_CN],
        ['claim', p.CLAIM_CN],
      ] as const) {
        const k = await ca.issueKeyAndCertificate(cn, name === 'claim' ? 365 : 825)
        write(`${name}.crt`, k.certificatePem)
        write(`${name}.key`, k.privateKeyPem, 0o600)
      }
      const paths = {
        caFile: ca.certificatePath,
        certFile: join(dir, 'broker.crt'),
        keyFile: brokerKey,
        crlFile: ca.crlPath,
        devicesAcl: join(dir, 'devices.acl'),
        claimAcl: join(dir, 'claim.acl'),
      }
      if (!existsSync(paths.devicesAcl)) write('devices.acl', p.devicesAcl([], 0))
      write(
        'claim.acl',
        p.claimAcl(
          templates.map((t) => t.name),
          false,
        ),
      )
      const listeners = {
        host: opts.host,
        devicesPort: port(opts.devicesPort, '--devices-port'),
        claimPort: port(opts.claimPort, '--claim-port'),
      }
      write('mosquitto.conf', p.mosquittoTlsConfig(listeners, paths))
      chmodSync(dir, 0o755)
      chmodSync(ca.dir, 0o755)
      process.stdout.write(
        [
          `local fleet provisioning initialised in ${dir}`,
          `  broker:      mosquitto -c ${join(dir, 'mosquitto.conf')}   (devices mqtts://${opts.host}:${listeners.devicesPort}, claims mqtts://${opts.host}:${listeners.claimPort})`,
          `  service:     edgetwin provisioning serve --dir ${dir} ${opts.template.map((t) => `--template ${t}`).join(' ')} --mosquitto-pid-file <pid file>`,
          `  each device: edgetwin agent provision --claim-cert claim.crt --claim-key claim.key --ca ${ca.certificatePath} --broker mqtts://${opts.host}:${listeners.claimPort} --template <name> --serial <serial> --config agent.json`,
          '',
        ].join('\n'),
      )
    })

  cmd
    .command('serve')
    .description(
      'answer fleet provisioning requests (CreateCertificateFromCsr, RegisterThing) for the broker set up by `provisioning init`',
    )
    .requiredOption('--dir <dir>', 'the folder `provisioning init` wrote')
    .option('--template <file>', 'a provisioning template (JSON; repeatable)', collect, [])
    .option('--mosquitto-pid-file <file>', "Mosquitto's pid file: the service sends SIGHUP there after each ACL change")
    .action(async (opts: ServeOptions) => {
      const p = await import('@edgetwin/cloud/provisioning')
      const { pino } = await import('pino')
      const dir = resolve(opts.dir)
      const templates = await loadTemplates(opts.template)
      const conf = readFileSync(join(dir, 'mosquitto.conf'), 'utf8')
      const devicesListener = /listener (\d+) (\S+)/.exec(conf)
      if (!devicesListener) throw new Error(`${join(dir, 'mosquitto.conf')} has no listener line; run provisioning init again`)
      const logger = pino({ name: 'provisioning' })
      const registry = new p.ThingRegistry(join(dir, 'registry.db'))
      const service = new p.ProvisioningService({
        brokerUrl: `mqtts://${devicesListener[2]}:${devicesListener[1]}`,
        tls: {
          ca: readFileSync(join(dir, 'ca', 'ca.crt'), 'utf8'),
          cert: readFileSync(join(dir, 'provisioner.crt'), 'utf8'),
          key: readFileSync(join(dir, 'provisioner.key'), 'utf8'),
        },
        templates,
        ca: await p.LocalCa.open(join(dir, 'ca')),
        registry,
        acl: { devicesAclPath: join(dir, 'devices.acl'), claimAclPath: join(dir, 'claim.acl') },
        reloadBroker: () => {
          if (!opts.mosquittoPidFile) return
          process.kill(Number(readFileSync(opts.mosquittoPidFile, 'utf8').trim()), 'SIGHUP')
        },
        logger,
      })
      if (!opts.mosquittoPidFile)
        logger.warn('no --mosquitto-pid-file: reload Mosquitto yourself (SIGHUP) after each device is provisioned')
      await service.start()
      const lifecycle = closeOnSignals([{ close: async () => registry.close() }, service], (m) => logger.info(m))
      await lifecycle.done
    })

  cmd
    .command('things')
    .description('list the things the local service provisioned')
    .requiredOption('--dir <dir>', 'the folder `provisioning init` wrote')
    .action(async (opts: { dir: string }) => {
      const { ThingRegistry } = await import('@edgetwin/cloud/provisioning')
      const registry = new ThingRegistry(join(resolve(opts.dir), 'registry.db'))
      process.stdout.write(`${JSON.stringify(registry.things(), null, 2)}\n`)
      registry.close()
    })

  cmd
    .command('revoke')
    .description('revoke a certificate (a leaked claim, a retired device): it is added to the CRL; restart Mosquitto to apply it')
    .requiredOption('--dir <dir>', 'the folder `provisioning init` wrote')
    .requiredOption('--cert <file>', 'the certificate to revoke (PEM)')
    .action(async (opts: { dir: string; cert: string }) => {
      const { LocalCa, certificateSerial } = await import('@edgetwin/cloud/provisioning')
      const ca = await LocalCa.open(join(resolve(opts.dir), 'ca'))
      const serial = certificateSerial(readFileSync(opts.cert, 'utf8'))
      await ca.revoke(serial)
      process.stdout.write(`revoked serial ${serial}; ${ca.crlPath} rewritten — restart Mosquitto so it reads the new CRL\n`)
    })
}
