import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { describeError } from './errors.js'

function thrownBy(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('did not throw')
}

describe('describeError', () => {
  it('puts a missing file in words, with its path', () => {
    const err = thrownBy(() => readFileSync('/nonexistent/edgetwin-cloud.json'))
    expect(describeError(err)).toBe('[ENOENT] cannot open /nonexistent/edgetwin-cloud.json: no such file or directory')
  })

  it('keeps the code of a coded error and prefixes it', () => {
    const err = Object.assign(new Error('invalid AgentConfig: /kind: must be one of "vehicle", got "truck"'), { code: 'SCHEMA_INVALID' })
    expect(describeError(err)).toBe('[SCHEMA_INVALID] invalid AgentConfig: /kind: must be one of "vehicle", got "truck"')
  })

  it('drops the code, syscall and path a wrapper quoted from Node', () => {
    const cause = thrownBy(() => readFileSync('/nonexistent/cloud.json')) as Error
    const err = new Error(`cannot read cloud config /nonexistent/cloud.json: ${cause.message}`, { cause })
    expect(describeError(err)).toBe('[ENOENT] cannot read cloud config /nonexistent/cloud.json: no such file or directory')
    const coded = Object.assign(new Error(`cannot read config file /nonexistent/agent.json: ${cause.message}`), {
      code: 'AGENT_INVALID_CONFIG',
    })
    expect(describeError(coded)).toBe('[AGENT_INVALID_CONFIG] cannot read config file /nonexistent/agent.json: no such file or directory')
  })

  it('gives a wrapped error the code of its cause', () => {
    const cause = thrownBy(() => readFileSync('/nonexistent/x.json'))
    expect(describeError(new Error('cannot read cloud config x.json', { cause }))).toBe('[ENOENT] cannot read cloud config x.json')
  })

  it('names the port a server could not listen on', async () => {
    const first = createServer()
    await new Promise<void>((resolve) => first.listen(0, '127.0.0.1', resolve))
    const port = (first.address() as { port: number }).port
    const second = createServer()
    const err = await new Promise<unknown>((resolve) => {
      second.once('error', resolve)
      second.listen(port, '127.0.0.1')
    })
    await new Promise((resolve) => first.close(resolve))
    expect(describeError(err)).toBe(`[EADDRINUSE] port ${port} is in use on 127.0.0.1: choose a free port (or 0 for any free one)`)
  })
})
