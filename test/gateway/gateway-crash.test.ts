import { describe, expect, it } from 'vitest'
import { runGatewayCrashLoop } from './crash-loop.js'

describe('gateway crash loop (short; npm run soak runs 20 kills)', () => {
  it('SIGKILLed 4 times while rows arrive: site results equal PostgreSQL, every window upstream, no false correction', async () => {
    const { windows } = await runGatewayCrashLoop(4)
    expect(windows).toBe(14 * 2)
  }, 300_000)
})
