import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { loadDispatchConfig, parseDispatchConfig } from '@edgetwin/openfast-container'
import { describe, expect, it } from 'vitest'
import { tempDir } from './support.js'

const ROOT = join(import.meta.dirname, '..', '..')

describe('dispatch config', () => {
  it('fills defaults: auth on, local object store, the package deck', () => {
    const c = parseDispatchConfig({})
    expect(c.auth).toEqual({ enabled: true, tokenEnv: 'EDGETWIN_DISPATCH_TOKEN' })
    expect(c.objectStore.adapter).toBe('local')
    expect(c.limits.maxConcurrentRuns).toBeUndefined()
    expect(Object.isFrozen(c.limits)).toBe(true)
  })

  it('rejects unknown fields and bad values with a coded error naming the field', () => {
    expect(() => parseDispatchConfig({ limits: { maxQueue: 3 } })).toThrow(
      expect.objectContaining({ code: 'DISPATCH_CONFIG_INVALID', message: expect.stringContaining('maxQueue') }),
    )
    expect(() => parseDispatchConfig({ port: 70000 })).toThrow(
      expect.objectContaining({ code: 'DISPATCH_CONFIG_INVALID', message: expect.stringContaining('/port') }),
    )
  })

  it('reads the container config shipped with the Dockerfile', async () => {
    const { config } = await loadDispatchConfig({ file: join(ROOT, 'openfast-container', 'container-config.json'), env: {} })
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      openfast: { executable: 'openfast', controllerLibraryPath: '/usr/local/lib/libdiscon.so' },
    })
  })

  it('takes bearer tokens from the named environment variable, comma-separated, and CLI overrides over the file', async () => {
    const { dir, cleanup } = await tempDir()
    const file = join(dir, 'c.json')
    await writeFile(file, JSON.stringify({ port: 9000, auth: { tokenEnv: 'MY_TOKENS' } }))
    const loaded = await loadDispatchConfig({ file, overrides: { port: 0 }, env: { MY_TOKENS: ' a1 , b2,,' } })
    expect(loaded.bearerTokens).toEqual(['a1', 'b2'])
    expect(loaded.config.port).toBe(0)
    await expect(loadDispatchConfig({ file: join(dir, 'missing.json'), env: {} })).rejects.toMatchObject({
      code: 'DISPATCH_CONFIG_INVALID',
    })
    await cleanup()
  })
})
