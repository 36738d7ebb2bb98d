import { defineConfig } from 'vitest/config'

// Workspace packages resolve to their TypeScript sources under this condition, so tests need no build.
const conditions = ['@edgetwin/source', 'node', 'import', 'default']
// vitest passes ssr.resolve.conditions to its Node workers as --conditions; with `import` there, Node 20.19's
// require() picks a dual package's ESM file (pg → pg-pool) and `class extends` gets a module namespace.
const nodeConditions = conditions.filter((c) => c !== 'import')

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions: nodeConditions, externalConditions: ['@edgetwin/source'] } },
  test: {
    include: ['*/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/cdk.out/**', '**/*.soak.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { EDGETWIN_TEST: '1' },
  },
})
