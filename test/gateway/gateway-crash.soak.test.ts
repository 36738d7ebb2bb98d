import { describe, expect, it } from 'vitest'
import { runGatewayCrashLoop } from './crash-loop.js'

describe('gateway crash loop (soak)', () => {
  it('SIGKILLed 20 times while rows arrive: site results equal PostgreSQL, every window upstream, no false correction', async () => {
    const { windows, duplicates } = await runGatewayCrashLoop(20)
    expect(windows).toBe(62 * 2)
    console.log(`gateway crash loop: ${windows} windows, ${duplicates} re-sent after a kill (at-least-once upstream)`)
  }, 3_600_000)
})
