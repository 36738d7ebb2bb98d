import { defineConfig } from 'vitest/config'

// Workspace packages resolve to their TypeScript sources under this condition, so tests need no build.
const conditions = ['@edgetwin/source', 'node', 'import', 'default']

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@edgetwin/source'] } },
  test: {
    include: ['*/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/cdk.out/**'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { EDGETWIN_TEST: '1' },
  },
})
