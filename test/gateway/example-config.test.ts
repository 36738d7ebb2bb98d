import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createResidencyAdmission } from '@edgetwin/agent'
import { parseConfig, validators } from '@edgetwin/shared-schemas'
import pino from 'pino'
import { describe, expect, it } from 'vitest'

const examplePath = join(import.meta.dirname, '../../agent/examples/gateway.json')

describe('agent/examples/gateway.json', () => {
  it('is a valid agent config whose residency policy lets aggregates, alarms and health out but no raw stream', () => {
    const config = parseConfig(validators.AgentConfig, JSON.parse(readFileSync(examplePath, 'utf8')))
    expect(config.gateway?.postgres[0]?.name).toBe('presses')
    const admission = createResidencyAdmission(config, pino({ level: 'silent' }))!
    expect(['position', 'metrics', 'events', 'aggregate', 'health'].filter((s) => admission.allows(s as never))).toEqual([
      'events',
      'aggregate',
      'health',
    ])
  })
})
