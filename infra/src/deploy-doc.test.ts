import { existsSync, readFileSync } from 'node:fs'
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

/** One command of a ```sh block: continuation lines joined, comments dropped. */
function commands(): string[] {
  return blocks('sh')
    .flatMap((b) => b.replace(/\\\n\s*/g, ' ').split('\n'))
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter((line) => line.length > 0)
}

/** Words of a command, quotes removed (enough for this page: no nested quoting in paths). */
const words = (command: string) => (command.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^["']|["']$/g, ''))

const REPO_TOP = new Set([
  'agent',
  'cloud',
  'cli',
  'console',
  'docs',
  'infra',
  'openfast-container',
  'shared-schemas',
  'simulator',
  'test',
  'turbine-model',
])

describe('docs/deploy.md, followed step by step from the repository root', () => {
  it('never changes directory, so every relative path is the repository root’s', () => {
    expect(commands().filter((c) => /(^|[;&|(]\s*)(cd|pushd)\s/.test(c))).toEqual([])
  })

  it('names only paths that exist in the repository or that an earlier command or "Save this as" creates', () => {
    const vars: Record<string, string> = {}
    const made = new Set<string>()
    for (const m of doc.matchAll(/Save this as `([^`]+)`/g)) made.add(m[1] as string)
    const expand = (w: string) => w.replace(/\$\{?([A-Z_]+)\}?/g, (all, name: string) => vars[name] ?? all)
    const checked: string[] = []
    const unresolved: string[] = []
    for (const command of commands()) {
      const assignment = /^(?:export\s+)?([A-Z_]+)=([A-Za-z0-9._-]+)(\s|$)/.exec(command)
      if (assignment) vars[assignment[1] as string] = assignment[2] as string
      const ws = words(command).map(expand)
      // What the command creates: mkdir -p targets, --*-outfile / -o / -out / > targets.
      ws.forEach((w, i) => {
        const prev = ws[i - 1] ?? ''
        if (/^(--[a-z-]*outfile|-o|-out|-sSfo|>)$/.test(prev) || (ws[0] === 'mkdir' && i > 1)) made.add(w)
      })
      for (const redirect of command.matchAll(/>\s*(\S+)/g)) made.add(expand(redirect[1] as string))
      for (const w of ws) {
        const path = w.replace(/^--?[a-z-]+=/, '')
        const top = path.split('/')[0] as string
        const looksLikePath =
          (REPO_TOP.has(top) && path.includes('/')) || top === 'certs' || /^[\w.-]+\.(json|ndjson|pem|der|crt|key)$/.test(path)
        if (!looksLikePath || path.includes('$')) continue
        checked.push(path)
        const exists = existsSync(join(REPO_ROOT, path)) || made.has(path) || [...made].some((m) => path.startsWith(`${m}/`))
        if (!exists) unresolved.push(`${path}  (in: ${command.slice(0, 80)})`)
      }
    }
    expect(unresolved).toEqual([])
    // The page's own files: the agent config, its certificates, the signing key, the example configs it copies.
    for (const p of ['agent.json', 'certs/van-001/device.pem.crt', 'certs/job-signing.pub.pem', 'agent/examples/turbine-iot-core.json']) {
      expect(checked).toContain(p)
    }
  })

  it('runs only npm scripts that exist, with the workspace they name', () => {
    const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    const infra = JSON.parse(readFileSync(join(REPO_ROOT, 'infra', 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    const runs = commands().flatMap((c) => [...c.matchAll(/npm run (-w infra )?([a-z:-]+)/g)])
    expect(runs.length).toBeGreaterThanOrEqual(5)
    for (const m of runs) expect(Object.keys(m[1] ? infra.scripts : root.scripts)).toContain(m[2])
    // Every cdk command names the stack the page deploys, so that a chosen name reaches synth, deploy and destroy.
    for (const c of commands().filter((c) => /npm run -w infra (synth|deploy|destroy)/.test(c))) expect(c).toContain('-c stackName=$STACK')
  })

  it('reads the agent files from where step 3 writes them', () => {
    const config = JSON.parse(blocks('json')[0] as string)
    const tls = config.broker.tls as Record<string, string>
    expect(tls).toEqual({
      caFile: 'certs/AmazonRootCA1.pem',
      certFile: `certs/${config.deviceId}/device.pem.crt`,
      keyFile: `certs/${config.deviceId}/private.pem.key`,
    })
    expect(doc).toContain(`THING=${config.deviceId} `)
    expect(config.source.ndjson).toBe('positions.ndjson')
    expect(doc).toContain('Save this as `positions.ndjson`')
  })
})
