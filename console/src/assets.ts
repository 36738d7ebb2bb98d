import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ConsoleError } from './errors.js'

/** The built browser bundle (`npm run build` → `console/assets/`), beside `src/` and `dist/`. */
export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('../assets/', import.meta.url))
/** The browser sources the bundle is built from. */
export const BROWSER_ENTRY = fileURLToPath(new URL('../browser/main.ts', import.meta.url))

export const ASSET_FILES = ['index.html', 'app.js', 'app.css'] as const

/**
 * Builds the browser bundle with esbuild (Leaflet, uPlot and the page code in one file each for JS and CSS), so
 * nothing is fetched from a CDN at run time. esbuild is a build-time dependency: it is loaded only here.
 */
export async function buildConsoleAssets(outDir = DEFAULT_ASSETS_DIR, options: { minify?: boolean } = {}): Promise<void> {
  const esbuild = await import('esbuild')
  const { copyFile, mkdir } = await import('node:fs/promises')
  await mkdir(outDir, { recursive: true })
  await esbuild.build({
    entryPoints: { app: BROWSER_ENTRY },
    bundle: true,
    format: 'iife',
    target: ['chrome110', 'firefox110', 'safari16'],
    outdir: outDir,
    minify: options.minify ?? true,
    sourcemap: true,
    loader: { '.png': 'dataurl', '.svg': 'dataurl' },
    logLevel: 'warning',
  })
  await copyFile(fileURLToPath(new URL('../browser/index.html', import.meta.url)), `${outDir}/index.html`)
}

/** Throws CONSOLE_ASSETS_MISSING naming the folder and the command that builds it. */
export function assertAssets(dir: string): void {
  const missing = ASSET_FILES.filter((f) => !existsSync(`${dir}/${f}`))
  if (missing.length > 0) {
    throw new ConsoleError('CONSOLE_ASSETS_MISSING', `the console bundle is missing ${missing.join(', ')} in ${dir}; run \`npm run build\``)
  }
}

/**
 * The bundle in `dir`, built now when missing (a fresh clone compiled by `tsc -b` alone has no bundle yet);
 * CONSOLE_ASSETS_MISSING when it cannot be built here (no esbuild: an installed package without its build).
 */
export async function ensureAssets(dir: string): Promise<void> {
  if (ASSET_FILES.every((f) => existsSync(`${dir}/${f}`))) return
  try {
    await buildConsoleAssets(dir)
  } catch (err) {
    throw new ConsoleError(
      'CONSOLE_ASSETS_MISSING',
      `the console bundle is missing in ${dir} and cannot be built here: ${(err as Error).message}; run \`npm run build\``,
      { cause: err },
    )
  }
  assertAssets(dir)
}
