import { join } from 'node:path'
import { createAgent, isAgentError } from '@edgetwin/agent'
import { recordValidators } from '@edgetwin/shared-schemas'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { freePort } from '../support/ports.js'
import { agentConfig, sample, tempDir } from './support.js'

/** A sample object whose own fields are not the schema's but whose JSON form is a valid sample. */
class SampleView {
  constructor(readonly n: number) {}
  toJSON() {
    return sample(this.n)
  }
}

/** Passes a field-by-field check on the object, but serialises to something else. */
class Sneaky {
  constructor() {
    Object.assign(this, sample(1))
  }
  toJSON() {
    return { time: 'not a time' }
  }
}

describe('what is stored is what was validated', () => {
  it('validates the serialised form: a toJSON class is stored as its JSON, a lying toJSON is refused', async () => {
    const tmp = tempDir()
    const agent = createAgent(agentConfig(`mqtt://127.0.0.1:${await freePort()}`, tmp.dir))
    await agent.start()
    try {
      const ok = await agent.accept('metrics', new SampleView(7))
      expect(ok.seq).toBe(1)
      await expect(agent.accept('metrics', new Sneaky())).rejects.toMatchObject({
        code: 'AGENT_INVALID_RECORD',
        message: expect.stringMatching(/time/),
      })
    } finally {
      await agent.close()
    }
    const db = new Database(join(tmp.dir, 'outbox.db'), { readonly: true })
    const rows = db.prepare('SELECT data FROM outbox').pluck().all() as string[]
    db.close()
    expect(rows).toEqual([JSON.stringify(sample(7))])
    expect(recordValidators.metrics.check(JSON.parse(rows[0]!))).toBe(true)
    tmp.cleanup()
  })

  it('turns a throwing getter, a throwing Proxy, a cycle and a BigInt into AGENT_INVALID_RECORD', async () => {
    const tmp = tempDir()
    const agent = createAgent(agentConfig(`mqtt://127.0.0.1:${await freePort()}`, tmp.dir))
    await agent.start()
    const getter = { ...sample(1) }
    Object.defineProperty(getter, 'windSpeedMps', {
      enumerable: true,
      get() {
        throw new Error('sensor unplugged')
      },
    })
    const proxy = new Proxy(sample(2), {
      get() {
        throw new TypeError('proxy trap')
      },
    })
    const revocable = Proxy.revocable(sample(3), {})
    revocable.revoke()
    const cyclic: Record<string, unknown> = { ...sample(4) }
    cyclic.self = cyclic
    const bigint = { ...sample(5), generatorPowerKw: 10n }
    try {
      for (const bad of [getter, proxy, revocable.proxy, cyclic, bigint, undefined, () => 1]) {
        const outcome = await agent.accept('metrics', bad).then(
          () => 'accepted',
          (err: unknown) => err,
        )
        expect(isAgentError(outcome, 'AGENT_INVALID_RECORD'), String(outcome)).toBe(true)
        expect((outcome as Error).message).toMatch(/^invalid metrics record: /)
      }
      expect(agent.health().counters.rejected).toBe(7)
      expect(agent.health().queueDepth).toBe(0)
    } finally {
      await agent.close()
      tmp.cleanup()
    }
  })
})
