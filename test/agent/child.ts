import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'

/** Bundles the child so that each restart costs a plain `node` start, not a TypeScript compile. */
export async function bundleChild(): Promise<string> {
  const outDir = join(import.meta.dirname, '..', '..', 'node_modules', '.cache', 'edgetwin-test')
  mkdirSync(outDir, { recursive: true })
  const outfile = join(outDir, `crash-child-${process.pid}.mjs`)
  await build({
    entryPoints: [join(import.meta.dirname, 'fixtures', 'crash-child.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@edgetwin/source'],
    // Bundle only our workspace sources (TypeScript); every npm dependency loads from node_modules as usual.
    plugins: [
      {
        name: 'externals',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@edgetwin/') ? undefined : { path: args.path, external: true },
          )
        },
      },
    ],
    logLevel: 'silent',
  })
  return outfile
}
