import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Command } from 'commander'

interface ProvisionOptions {
  claimCert: string
  claimKey: string
  template: string
  config: string
  serial?: string
  param: string[]
  broker?: string
  ca?: string
  outDir?: string
  createKeys?: boolean
  timeoutS: string
}

const collect = (value: string, previous: string[]) => [...previous, value]

function readFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    throw new Error(`cannot read the ${what} ${path}: ${(err as Error).message}`)
  }
}

/**
 * `edgetwin agent provision`: fleet provisioning by claim (AWS IoT Core, or the local provisioning service), then
 * the agent config points at the new identity. The certificate library loads only here.
 */
export function registerAgentProvisionCommand(agentCmd: Command): void {
  agentCmd
    .command('provision')
    .description(
      'obtain a device certificate and thing name with a claim certificate (AWS IoT fleet provisioning by claim); writes the key (0600) and certificate and updates the agent config',
    )
    .requiredOption('--claim-cert <file>', 'the claim certificate (PEM)')
    .requiredOption('--claim-key <file>', 'the claim private key (PEM)')
    .requiredOption('--template <name>', 'the provisioning template name')
    .requiredOption('--config <file>', 'the agent config to update (deviceId, broker.tls.certFile/keyFile)')
    .option('--serial <serial>', 'template parameter SerialNumber')
    .option('--param <name=value>', 'another template parameter (repeatable)', collect, [])
    .option('--broker <url>', "where the claim may connect (default: the config's broker.url)")
    .option('--ca <file>', "CA certificate of the broker (default: the config's broker.tls.caFile)")
    .option('--out-dir <dir>', "where to write <thing>.private.key and <thing>.cert.pem (default: the config file's folder)")
    .option('--create-keys', 'let the service generate the key (CreateKeysAndCertificate) instead of sending a CSR')
    .option('--timeout-s <seconds>', 'give up after this long per request', '30')
    .action(async (opts: ProvisionOptions) => {
      const { provisionByClaim, applyIdentity } = await import('@edgetwin/agent/provisioning')
      const config = JSON.parse(readFile(opts.config, 'agent config')) as { broker?: { url?: string; tls?: { caFile?: string } } }
      const brokerUrl = opts.broker ?? config.broker?.url
      if (!brokerUrl) throw new Error(`--broker is required: ${opts.config} has no broker.url`)
      const caFile = opts.ca ?? config.broker?.tls?.caFile
      const parameters: Record<string, string> = {}
      if (opts.serial) parameters.SerialNumber = opts.serial
      for (const p of opts.param) {
        const eq = p.indexOf('=')
        if (eq <= 0) throw new Error(`--param ${p}: expected name=value`)
        parameters[p.slice(0, eq)] = p.slice(eq + 1)
      }
      const timeoutS = Number(opts.timeoutS)
      if (!(timeoutS > 0)) throw new Error(`--timeout-s ${opts.timeoutS}: expected a positive number of seconds`)
      const identity = await provisionByClaim({
        brokerUrl,
        ...(caFile ? { caPem: readFile(caFile, 'CA certificate') } : {}),
        claimCertPem: readFile(opts.claimCert, 'claim certificate'),
        claimKeyPem: readFile(opts.claimKey, 'claim key'),
        template: opts.template,
        parameters,
        mode: opts.createKeys ? 'create-keys' : 'csr',
        timeoutMs: timeoutS * 1000,
      })
      const applied = applyIdentity(identity, opts.config, resolve(opts.outDir ?? dirname(opts.config)))
      process.stdout.write(
        `${JSON.stringify({ thingName: identity.thingName, certificateId: identity.certificateId, ...applied }, null, 2)}\n`,
      )
    })
}
