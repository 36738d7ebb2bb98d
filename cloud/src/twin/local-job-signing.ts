import { readFileSync, statSync } from 'node:fs'
import type { CloudTwinConfig } from '@edgetwin/shared-schemas'
import { CloudError } from '../errors.js'
import { createLocalJobSigner } from '../jobs/signing/job-signer.js'
import type { TwinJobSigning } from './jobs-adapter.js'

/**
 * The twin's job signing from `twin.jobSigning` (the embedded default's counterpart of the detector's KMS key):
 * the private key file must be readable by its owner only, as an agent's TLS key must.
 */
export function localTwinJobSigning(config: CloudTwinConfig['jobSigning'], now?: () => number): TwinJobSigning | undefined {
  if (!config) return undefined
  const path = config.privateKeyFile
  let mode: number
  let pem: string
  try {
    mode = statSync(path).mode
    pem = readFileSync(path, 'utf8')
  } catch (err) {
    throw new CloudError('CLOUD_CONFIG_INVALID', `twin.jobSigning.privateKeyFile: cannot read ${path}: ${(err as Error).message}`, {
      cause: err,
    })
  }
  if ((mode & 0o077) !== 0) {
    throw new CloudError(
      'CLOUD_CONFIG_INVALID',
      `twin.jobSigning.privateKeyFile: ${path} has mode ${(mode & 0o777).toString(8)}; it must not be readable by group or others (chmod 600)`,
    )
  }
  return { signer: createLocalJobSigner(pem, `file:${path}`), validityS: config.validityS, ...(now ? { now } : {}) }
}
