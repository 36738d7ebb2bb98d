import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The monorepo root: bundling resolves workspace packages and the lock file from here. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The product's Lambda entry points (each exports `handler`), relative to the repository root. */
export const LAMBDA_ENTRIES = {
  router: 'cloud/src/lambda/kinesis-router.ts',
  enrichment: 'cloud/src/lambda/enrichment.ts',
  detector: 'cloud/src/lambda/twin-detector.ts',
  postProcessor: 'cloud/src/lambda/twin-postprocessor.ts',
  preProvisioningHook: 'cloud/src/lambda/pre-provisioning-hook.ts',
} as const
export type LambdaRole = keyof typeof LAMBDA_ENTRIES

/** The dispatch server image, built by `Dockerfile.openfast` with the repository root as its context. */
export const DISPATCH_DOCKERFILE = 'Dockerfile.openfast'

/** The zone deployed as a geofence and used by the named Athena queries (copied here with its licence). */
export const DEFAULT_ZONE_FILE = join(REPO_ROOT, 'infra', 'assets', 'ulez-2021-expansion.geojson')

export function entryPath(role: LambdaRole): string {
  return join(REPO_ROOT, LAMBDA_ENTRIES[role])
}

/** Repository-relative paths of the app's inputs that do not exist yet (the full app cannot synthesize without them). */
export function missingAppInputs(root: string = REPO_ROOT): string[] {
  const wanted = [...Object.values(LAMBDA_ENTRIES), DISPATCH_DOCKERFILE]
  return wanted.filter((p) => !existsSync(join(root, p)))
}
