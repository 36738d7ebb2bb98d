import { defineConfig } from 'vitest/config'
import base from './vitest.config.ts'

// `npm run soak`: the long fault and crash loops. Each *.soak.test.ts is the long variant of a test whose
// short variant runs in `npm test`; EDGETWIN_SOAK=1 lets a shared test body scale its loop counts.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['*/src/**/*.soak.test.ts', 'test/**/*.soak.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/cdk.out/**'],
    testTimeout: 3_600_000,
    hookTimeout: 600_000,
    env: { EDGETWIN_TEST: '1', EDGETWIN_SOAK: '1' },
  },
})
