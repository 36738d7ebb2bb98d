import { join } from 'node:path'
import { bundleWorkspaceEntry } from '../support/bundle.js'

/** Bundles the child so that each restart costs a plain `node` start, not a TypeScript compile. */
export function bundleChild(): Promise<string> {
  const outDir = join(import.meta.dirname, '..', '..', 'node_modules', '.cache', 'edgetwin-test')
  return bundleWorkspaceEntry(join(import.meta.dirname, 'fixtures', 'crash-child.ts'), join(outDir, `crash-child-${process.pid}.mjs`))
}
