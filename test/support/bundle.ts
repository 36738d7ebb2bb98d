import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { build } from 'esbuild'

/**
 * Bundles a TypeScript entry point with our workspace sources inlined (the `@edgetwin/source` condition) and every
 * npm dependency left external, so a child process or a benchmark phase starts as plain `node`, as an installed
 * agent runs from `dist/`, without the TypeScript loader's start-up time and memory.
 */
export async function bundleWorkspaceEntry(entry: string, outfile: string, logLevel: 'silent' | 'warning' = 'silent'): Promise<string> {
  mkdirSync(dirname(outfile), { recursive: true })
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@edgetwin/source'],
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
    logLevel,
  })
  return outfile
}
