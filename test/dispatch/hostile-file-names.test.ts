import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join, relative } from 'node:path'
import type { DispatchApp } from '@edgetwin/openfast-container'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUTH, multipartBody, tempDir, testApp } from './support.js'

/** Each: the Content-Disposition parameters of the hostile part (a plain `filename` unless given raw). */
const HOSTILE: { label: string; filename?: string; disposition?: string }[] = [
  { label: 'parent', filename: '../evil.dat' },
  { label: 'grandparent', filename: '../../evil.dat' },
  { label: 'inner traversal', filename: 'Airfoils/../../evil.dat' },
  { label: 'absolute', filename: '/tmp/evil.dat' },
  { label: 'absolute etc', filename: '/etc/passwd' },
  { label: 'dot-dot alone', filename: '..' },
  { label: 'dot alone', filename: '.' },
  { label: 'empty', filename: '' },
  { label: 'backslash parent', filename: '..\\evil.dat' },
  { label: 'windows drive', filename: 'C:\\Windows\\evil.dat' },
  { label: 'backslash traversal', filename: 'a\\..\\..\\evil.dat' },
  { label: 'UNC', filename: '\\\\server\\share\\evil.dat' },
  { label: 'drive-relative', filename: 'C:evil.dat' },
  { label: 'percent-encoded traversal', filename: '%2e%2e%2fevil.dat' },
  { label: 'half-encoded traversal', filename: '..%2fevil.dat' },
  { label: 'double-encoded traversal', filename: '%252e%252e%252fevil.dat' },
  { label: 'overlong UTF-8 slash', filename: '..%c0%afevil.dat' },
  { label: 'RFC 5987 encoded traversal', disposition: `form-data; name="file"; filename*=UTF-8''..%2F..%2Fevil.dat` },
  { label: 'RFC 5987 encoded absolute', disposition: `form-data; name="file"; filename*=UTF-8''%2Ftmp%2Fevil.dat` },
  { label: 'NUL byte', filename: 'evil\u0000.dat' },
  { label: 'NUL then traversal', filename: 'ok.dat\u0000/../../evil.dat' },
  { label: 'very long name', filename: `${'a'.repeat(300)}.dat` },
  { label: 'very deep path', filename: `${'d/'.repeat(20)}evil.dat` },
  { label: 'hidden file', filename: '.evil.dat' },
  { label: 'dot segment', filename: 'Airfoils/./evil.dat' },
  { label: 'empty segment', filename: 'Airfoils//evil.dat' },
  { label: 'trailing slash', filename: 'evil.dat/' },
  { label: 'home tilde', filename: '~/evil.dat' },
  { label: 'file URL', filename: 'file:///etc/evil.dat' },
  { label: 'fullwidth solidus traversal', filename: '．．／evil.dat' },
  { label: 'space and semicolon', filename: 'evil dat;rm -rf' },
  { label: 'unicode RTL override', filename: 'evil\u202Etad.dat' },
]

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
}

describe('hostile deck file names', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let app: DispatchApp
  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir())
    // The data folder is nested, so that an escape by one or two levels would land inside `dir`, where we look.
    app = await testApp(join(dir, 'a', 'b', 'data'))
  })
  afterAll(async () => {
    await app.close()
    await cleanup()
  })

  it('has at least 30 cases', () => expect(HOSTILE.length).toBeGreaterThanOrEqual(30))

  for (const h of HOSTILE) {
    it(`refuses ${h.label} with 400 and writes nothing`, async () => {
      const { payload, headers } = multipartBody([
        { filename: 'NREL-5MW.fst', content: 'entry' },
        { filename: h.filename ?? '', disposition: h.disposition, content: 'evil content' },
      ])
      const res = await app.inject({ method: 'POST', url: '/decks', headers: { ...AUTH, ...headers }, payload })
      expect(res.statusCode).toBe(400)
      // Refused by the file-name check itself, not by a later deck check.
      expect(res.json().code).toBe('DISPATCH_UNSAFE_PATH')
      const written = (await walk(dir)).map((f) => relative(dir, f))
      expect(written).toEqual([])
    })
  }

  it('left nothing outside the data folder', () => {
    for (const p of ['/tmp/evil.dat', '/etc/evil.dat', join(dir, 'evil.dat'), join(dir, 'a', 'evil.dat')])
      expect(existsSync(p), p).toBe(false)
  })
})
