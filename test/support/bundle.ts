import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { build } from 'esbuild'
import { WORKSPACE_BUNDLE_OPTIONS } from '../../agent/bundle/options.js'

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
    ...WORKSPACE_BUNDLE_OPTIONS,
    conditions: [...WORKSPACE_BUNDLE_OPTIONS.conditions],
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
