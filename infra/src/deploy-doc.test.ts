import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseConfig, validators } from '@edgetwin/shared-schemas'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from './paths.js'

// docs/deploy.md is followed by hand against a real account: its agent config and sample records must be ones the
// agent accepts, and its names must be the ones the stack deploys.
const doc = readFileSync(join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8')
const blocks = (lang: string) => [...doc.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] as string)

describe('docs/deploy.md', () => {
  it('shows an agent config that AgentConfig accepts, for MQTT 5 over TLS on 8883 with the thing name as client id', () => {
    const [json] = blocks('json')
    const config = JSON.parse(json as string)
    // The agent loads its file with parseConfig: schema defaults filled in, then validated.
    expect(() => parseConfig(validators.AgentConfig, config)).not.toThrow()
    expect(config.broker.url).toMatch(/^mqtts:\/\/[a-z0-9]+-ats\.iot\.[a-z0-9-]+\.amazonaws\.com:8883$/)
    expect(config.broker).toMatchObject({ protocolVersion: 5, clientId: config.deviceId })
    expect(Object.keys(config.broker.tls).sort()).toEqual(['caFile', 'certFile', 'keyFile'])
  })

  it('shows sample records the VehiclePosition schema accepts', () => {
    const lines = (blocks('ndjson')[0] as string).trim().split('\n')
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) {
      const { stream, record } = JSON.parse(line)
      expect(stream).toBe('position')
      expect(validators.VehiclePosition.errors(record)).toEqual([])
    }
  })

  it('registers devices with the thing type and policy the stack creates', () => {
    expect(doc).toContain('--thing-type-name edgetwin_device ')
    expect(doc).toContain('aws iot attach-policy --policy-name edgetwin_device_policy')
    expect(doc).toContain('aws iot attach-thing-principal')
    expect(doc).toContain('--endpoint-type iot:Data-ATS')
  })
})
