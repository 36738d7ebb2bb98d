#!/usr/bin/env node
// The `edgetwin` command (`npx edgetwin`, `npm start`, or `edgetwin` once installed globally). It runs the
// compiled CLI in cli/dist: compiled JavaScript starts in a fraction of the time the TypeScript loader takes.
// On a fresh clone, where nothing is compiled yet, it builds the workspace once first. This file is plain
// JavaScript and always present, so npm links it as a bin at `npm ci` time, before any build.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const main = new URL('../dist/main.js', import.meta.url)

/** Workspace packages whose sources changed after their last build (a warning, not a rebuild: that takes minutes). */
function staleBuilds() {
  // Outside this repository's checkout (a packed copy of cli/ alone) there are no sources to compare with.
  if (!existsSync(join(root, 'tsconfig.json'))) return []
  const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'))
  const cli = readJson(new URL('../package.json', import.meta.url))
  const used = new Set([cli.name, ...Object.keys(cli.dependencies ?? {})])
  return readJson(join(root, 'tsconfig.json'))
    .references.map((r) => r.path)
    .filter((pkg) => existsSync(join(root, pkg, 'package.json')) && used.has(readJson(join(root, pkg, 'package.json')).name))
    .filter((pkg) => {
      const info = join(root, pkg, 'dist', '.tsbuildinfo')
      const src = join(root, pkg, 'src')
      if (!existsSync(info) || !existsSync(src)) return false
      const builtMs = statSync(info).mtimeMs
      return readdirSync(src, { recursive: true }).some(
        (f) => String(f).endsWith('.ts') && statSync(join(src, String(f))).mtimeMs > builtMs,
      )
    })
}

if (!existsSync(main)) {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  process.stderr.write('edgetwin: not built yet, compiling the workspace once (npm run build; this can take minutes)…\n')
  const build = spawnSync(process.execPath, [tsc, '-b'], { cwd: root, stdio: 'inherit' })
  if (build.status !== 0 || !existsSync(main)) {
    process.stderr.write(`edgetwin: the build failed (exit ${build.status}); run npm run build in ${root} to see why\n`)
    process.exit(1)
  }
} else {
  const stale = staleBuilds()
  if (stale.length > 0) {
    process.stderr.write(`edgetwin: ${stale.join(', ')} changed since the last build; running that build (npm run build to update)\n`)
  }
}
await import(main.href)
