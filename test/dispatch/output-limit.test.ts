import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { DEFAULT_TEMPLATE_DECK_DIR, estimateOutputBytes, setInputValues } from '@edgetwin/openfast-container'
import { OUTPUT_CHANNELS } from '@edgetwin/turbine-model'
import { describe, expect, it } from 'vitest'
import { AUTH, multipartBody, perTestApp, templateDeckParts, testApp, waitForFinish, writeFakeOpenfast } from './support.js'

const t = perTestApp()

const execute = (body: object) => t.app!.inject({ method: 'PUT', url: '/execute', headers: AUTH, payload: body })

describe('output size limit (limits.maxOutputBytes)', () => {
  it('refuses at submit time the request of the issue (3000 s at 0.001 s: ~300 MB) with either engine, naming the fix', async () => {
    t.app = await testApp(join(t.dir, 'data'))
    for (const engine of ['rotor-model', 'openfast']) {
      const res = await execute({ engine, windSpeedMps: 9, durationS: 3000, dtS: 0.001, outputDtS: 0.001 })
      expect([engine, res.statusCode, res.json().code]).toEqual([engine, 400, 'DISPATCH_OUTPUT_TOO_LARGE'])
      expect(res.json().message).toMatch(/over limits\.maxOutputBytes 268435456: use outputDtS >= [0-9.]+ or a shorter durationS/)
    }
    expect((await execute({ engine: 'rotor-model', windSpeedMps: 9, durationS: 3000, outputDtS: 0.05 })).statusCode).toBe(202)
  })

  it('estimates the rotor model’s .out size within a few percent of what it writes', async () => {
    t.app = await testApp(join(t.dir, 'data'))
    const request = { engine: 'rotor-model' as const, windSpeedMps: 11, durationS: 120, outputDtS: 0.02 }
    const run = await execute(request)
    expect(await waitForFinish(t.app, run.json().id)).toMatchObject({ state: 'SUCCEEDED' })
    const { size } = await stat(join(t.dir, 'data', 'runs', run.json().id, 'results', 'simulation.out'))
    const estimate = estimateOutputBytes(request, { channels: OUTPUT_CHANNELS.length, dtS: 0.01 })!
    expect(size / estimate).toBeGreaterThan(0.95)
    expect(size / estimate).toBeLessThan(1.05)
  })

  it('stops an OpenFAST run whose .out grows past the limit and says why', async () => {
    // Writes 64 kB blocks to <RootName>.out until it is stopped.
    const exe = await writeFakeOpenfast(t.dir, `out="\${1%.fst}.out"\nwhile true; do head -c 65536 /dev/zero >> "$out"; sleep 0.01; done`)
    t.app = await testApp(join(t.dir, 'data'), { limits: { maxOutputBytes: 1024 * 1024 } }, exe)
    // A small request (61 rows) that the executable does not honour.
    const run = await execute({ engine: 'openfast', windSpeedMps: 9, durationS: 60, outputDtS: 1 })
    expect(run.statusCode).toBe(202)
    const status = await waitForFinish(t.app, run.json().id, 60_000)
    expect(status.state).toBe('FAILED')
    expect(status.error).toBe('openfast wrote more than limits.maxOutputBytes 1048576 to its .out file and was stopped')
    const out = join(t.dir, 'data', 'runs', run.json().id, 'deck', 'NREL-5MW.out')
    const stopped = (await stat(out)).size
    await new Promise((r) => setTimeout(r, 300))
    expect((await stat(out)).size).toBe(stopped)
  })
})

describe('output size limit of an uploaded deck', () => {
  it('refuses at submit time a deck run whose TMax and DT_Out imply more than the limit', async () => {
    t.app = await testApp(join(t.dir, 'data'), { limits: { maxOutputBytes: 4 * 1024 * 1024 } })
    const parts = (await templateDeckParts(DEFAULT_TEMPLATE_DECK_DIR)).map((p) =>
      p.filename === 'NREL-5MW.fst'
        ? {
            ...p,
            content: Buffer.from(setInputValues(p.content.toString('latin1'), { TMax: '600', DT_Out: '0.00625' }, 'openfast'), 'latin1'),
          }
        : p,
    )
    const { payload, headers } = multipartBody(parts)
    const upload = await t.app.inject({ method: 'POST', url: '/decks', headers: { ...AUTH, ...headers }, payload })
    expect(upload.statusCode).toBe(201)
    const deckId = upload.json().deckId
    const refused = await execute({ engine: 'openfast', deckId })
    expect([refused.statusCode, refused.json().code]).toEqual([400, 'DISPATCH_OUTPUT_TOO_LARGE'])
    expect(refused.json().message).toMatch(/use DT_Out in NREL-5MW\.fst >= [0-9.]+ or a shorter durationS/)
    // 10 s at the same DT_Out is 1,601 rows: under 4 MiB.
    expect((await execute({ engine: 'openfast', deckId, durationS: 10 })).statusCode).toBe(202)
  })
})
