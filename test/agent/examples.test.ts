import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseAgentConfig } from '@edgetwin/agent'
import { recordValidators, type StreamName } from '@edgetwin/shared-schemas'
import { describe, expect, it } from 'vitest'

const DIR = join(import.meta.dirname, '..', '..', 'agent', 'examples')

describe('agent/examples', () => {
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.json'))) {
    it(`${file} is a valid AgentConfig`, () => {
      expect(() => parseAgentConfig(JSON.parse(readFileSync(join(DIR, file), 'utf8')))).not.toThrow()
    })
  }
  it('positions.ndjson holds valid records', () => {
    const lines = readFileSync(join(DIR, 'positions.ndjson'), 'utf8').trim().split('\n')
    for (const line of lines) {
      const { stream, record } = JSON.parse(line) as { stream: StreamName; record: unknown }
      expect(recordValidators[stream].errors(record)).toEqual([])
    }
  })
})
