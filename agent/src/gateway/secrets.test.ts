import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { GatewayError } from './errors.js'
import { loadSecret } from './secrets.js'

const dir = mkdtempSync(join(tmpdir(), 'edgetwin-secrets-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const SECRET = 's3cr3t-Pa55'

function secretFile(name: string, mode: number, content = `${SECRET}\n`): string {
  const path = join(dir, name)
  writeFileSync(path, content)
  chmodSync(path, mode)
  return path
}

function errorOf(fn: () => unknown): GatewayError {
  try {
    fn()
  } catch (err) {
    return err as GatewayError
  }
  throw new Error('expected a failure')
}

describe('loadSecret', () => {
  it('reads a variable from the injected environment', () => {
    expect(loadSecret({ env: 'PG_PASSWORD' }, 'db', { env: { PG_PASSWORD: SECRET } })).toBe(SECRET)
    expect(errorOf(() => loadSecret({ env: 'PG_PASSWORD' }, 'db', { env: {} })).code).toBe('AGENT_GATEWAY_SECRET')
  })

  it('reads a 0600 or 0400 file owned by the agent, without the trailing newline', () => {
    expect(loadSecret({ file: secretFile('a', 0o600) }, 'db')).toBe(SECRET)
    expect(loadSecret({ file: secretFile('b', 0o400) }, 'db')).toBe(SECRET)
  })

  it('refuses a file that group or others may read, naming the mode and never the secret', () => {
    for (const mode of [0o640, 0o604, 0o660, 0o644]) {
      const err = errorOf(() => loadSecret({ file: secretFile(`m${mode}`, mode) }, 'gateway.database.password'))
      expect(err.code).toBe('AGENT_GATEWAY_SECRET_PERMISSIONS')
      expect(err.message).toContain(`mode 0${mode.toString(8)}`)
      expect(err.message).not.toContain(SECRET)
    }
  })

  it("refuses a file owned by another user than the agent's", () => {
    const err = errorOf(() => loadSecret({ file: secretFile('c', 0o600) }, 'db', { uid: 4242 }))
    expect(err.code).toBe('AGENT_GATEWAY_SECRET_PERMISSIONS')
    expect(err.message).toMatch(/not by the agent's user \(uid 4242\)/)
  })

  it('refuses a missing or empty file and a directory', () => {
    expect(errorOf(() => loadSecret({ file: join(dir, 'nope') }, 'db')).message).toMatch(/ENOENT/)
    expect(errorOf(() => loadSecret({ file: secretFile('e', 0o600, '') }, 'db')).message).toMatch(/is empty/)
    expect(errorOf(() => loadSecret({ file: dir }, 'db')).message).toMatch(/not a regular file|mode/)
  })
})
