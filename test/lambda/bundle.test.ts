import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { build } from 'esbuild'
import { afterAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const ROOT = resolve(import.meta.dirname, '..', '..')
// Inside the repository, so the bundle's external @aws-sdk/* imports resolve from the root node_modules as they
// would from the Lambda runtime's.
mkdirSync(join(ROOT, '.tmp'), { recursive: true })
const out = mkdtempSync(join(ROOT, '.tmp', 'lambda-bundles-'))
afterAll(() => rmSync(out, { recursive: true, force: true }))

/** The options infra/src/lambda.ts gives NodejsFunction (ESM, node20, createRequire banner, SDK external). */
async function bundle(entry: string, name: string): Promise<string> {
  const outfile = join(out, name, 'index.mjs')
  await build({
    entryPoints: [join(ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    mainFields: ['module', 'main'],
    conditions: ['@edgetwin/source'],
    banner: {
      js: "import { createRequire as __edgetwinCreateRequire } from 'node:module';const require = __edgetwinCreateRequire(import.meta.url);",
    },
    external: ['@aws-sdk/*'],
    minify: true,
    logLevel: 'silent',
  })
  return outfile
}

describe('Lambda entries bundle with esbuild as the CDK app bundles them, and load', () => {
  for (const [name, entry] of [
    ['router', 'cloud/src/lambda/kinesis-router.ts'],
    ['enrichment', 'cloud/src/lambda/enrichment.ts'],
    ['detector', 'cloud/src/lambda/twin-detector.ts'],
    ['post-processor', 'cloud/src/lambda/twin-postprocessor.ts'],
  ] as const) {
    it(`${name}: ${entry}`, async () => {
      const file = await bundle(entry, name)
      // A fresh Node process (no tsx, no source conditions): what Lambda's runtime does with index.mjs.
      const { stdout } = await run(process.execPath, [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(`file://${file}`)}); console.log(typeof m.handler)`,
      ])
      expect(stdout.trim()).toBe('function')
      // better-sqlite3 (a native addon) must not be in a Lambda bundle: nothing there can load it.
      expect(statSync(file).size).toBeGreaterThan(1000)
      const { stdout: grep } = await run('grep', ['-c', 'better_sqlite3.node', file]).catch(() => ({ stdout: '0' }))
      expect(grep.trim()).toBe('0')
    }, 60_000)
  }
})
