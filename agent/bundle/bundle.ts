/**
 * Builds `agent/dist/edgetwin-agent.mjs`: the device agent as one ES module with every pure-JS dependency inlined
 * (commander, MQTT.js, pino, TypeBox and our workspace sources), so Node loads one file instead of ~900 module
 * records and their source text. Native and optional modules stay external and are resolved at run time from a
 * `node_modules` beside the bundle: better-sqlite3 (a compiled addon), and the modules the agent itself loads
 * with `createRequire` only when a profile asks for them (aws-iot-device-sdk-v2 / aws-crt, pg).
 *
 * Usage: `npm run bundle -w @edgetwin/agent` (also part of the root `npm run build`).
 */
import { statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { WORKSPACE_BUNDLE_OPTIONS } from './options.js'

/** Loaded from node_modules at run time, never inlined. */
export const BUNDLE_EXTERNALS = ['better-sqlite3', 'aws-iot-device-sdk-v2', 'aws-crt', 'pg', 'pg-native'] as const

export const BUNDLE_ENTRY = fileURLToPath(new URL('./edgetwin-agent.ts', import.meta.url))
export const BUNDLE_OUTFILE = fileURLToPath(new URL('../dist/edgetwin-agent.mjs', import.meta.url))

// CommonJS dependencies (commander, pino, MQTT.js's) call require() for Node's built-ins; an ES module has no
// require, so the bundle makes one that resolves from its own location.
const BANNER =
  "import { createRequire as __edgetwinCreateRequire } from 'node:module'; const require = __edgetwinCreateRequire(import.meta.url);"

/** Builds the bundle and returns its path and size in bytes. */
export async function bundleAgent(outfile: string = BUNDLE_OUTFILE): Promise<{ outfile: string; bytes: number }> {
  await build({
    entryPoints: [BUNDLE_ENTRY],
    outfile,
    ...WORKSPACE_BUNDLE_OPTIONS,
    conditions: [...WORKSPACE_BUNDLE_OPTIONS.conditions],
    external: [...BUNDLE_EXTERNALS],
    banner: { js: BANNER },
    // Whitespace only: the idle agent holds its source text, and 2.8 MB of it read as 1.9 MB kept ~4 MB off its RSS
    // (65.6 vs 69.4 MB, two runs each). Renaming identifiers saved ~0.5 MB more but changes class names that logs
    // print; keepNames, which restores them, cost +6 MB (its __name calls run at load).
    minifyWhitespace: true,
    // Stack traces map back to the sources with `node --enable-source-maps` (the map is read only then).
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'eof',
    logLevel: 'warning',
  })
  return { outfile, bytes: statSync(outfile).size }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { outfile, bytes } = await bundleAgent()
  process.stdout.write(`${outfile} (${(bytes / 1024).toFixed(0)} KiB)\n`)
}
