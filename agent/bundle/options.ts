import type { BuildOptions } from 'esbuild'

/**
 * esbuild options every bundle of ours shares: one ES module for Node 20, with the workspace packages read from
 * their TypeScript sources (so a bundle does not depend on `tsc -b` having run). Used by bundle.ts and by
 * test/support/bundle.ts; kept apart from bundle.ts, whose command-line entry must not run inside another bundle.
 */
export const WORKSPACE_BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['@edgetwin/source'],
} as const satisfies BuildOptions
