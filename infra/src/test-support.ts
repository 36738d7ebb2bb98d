import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { App } from 'aws-cdk-lib'
import { DEFAULT_ZONE_FILE, REPO_ROOT } from './paths.js'
import { EdgetwinStack, type EdgetwinStackProps } from './stack.js'

/** FIXTURE handler for construct tests (bundles in milliseconds); the app wires the product's handlers. */
export const FIXTURE_HANDLER = join(REPO_ROOT, 'infra', 'test', 'fixtures', 'handler.ts')
/** FIXTURE image build context for construct tests; the app uses Dockerfile.openfast at the repository root. */
export const FIXTURE_IMAGE_DIR = join(REPO_ROOT, 'infra', 'test', 'fixtures', 'dispatch-image')

export function ulezZone(): unknown {
  return JSON.parse(readFileSync(DEFAULT_ZONE_FILE, 'utf8'))
}

/**
 * A stack built from the fixtures in a temporary output folder. `bundle: false` skips esbuild
 * (`aws:cdk:bundling-stacks`), for tests that only look at the template's shape.
 */
export function fixtureStack(
  overrides: Partial<EdgetwinStackProps> = {},
  options: { bundle?: boolean; validate?: boolean; context?: Record<string, unknown> } = {},
) {
  const outdir = mkdtempSync(join(tmpdir(), 'edgetwin-cdk-'))
  const context: Record<string, unknown> = { ...options.context }
  if (options.bundle === false) context['aws:cdk:bundling-stacks'] = []
  const app = new App({ outdir, context, builtinCloudFormationValidation: options.validate ?? false })
  const stack = new EdgetwinStack(app, 'Test', {
    entries: {
      router: FIXTURE_HANDLER,
      enrichment: FIXTURE_HANDLER,
      detector: FIXTURE_HANDLER,
      postProcessor: FIXTURE_HANDLER,
      preProvisioningHook: FIXTURE_HANDLER,
    },
    imageDirectory: FIXTURE_IMAGE_DIR,
    imageFile: 'Dockerfile',
    zone: ulezZone(),
    ...overrides,
  })
  return { app, stack, cleanup: () => rmSync(outdir, { recursive: true, force: true }) }
}

/** Renders Fn::Join / Ref / Fn::GetAtt as text so that policy documents can be read as IAM and IoT Core read them. */
export function flatten(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(flatten)
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>
    if ('Fn::Join' in v) {
      const [sep, parts] = v['Fn::Join'] as [string, unknown[]]
      return parts.map((p) => flatten(p)).join(sep)
    }
    if ('Ref' in v)
      return String(v.Ref) === 'AWS::Region'
        ? 'eu-west-2'
        : String(v.Ref) === 'AWS::AccountId'
          ? '123456789012'
          : String(v.Ref) === 'AWS::Partition'
            ? 'aws'
            : `<${v.Ref}>`
    if ('Fn::GetAtt' in v) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, flatten(x)]))
  }
  return value
}
