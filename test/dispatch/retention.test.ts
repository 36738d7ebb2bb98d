import { existsSync } from 'node:fs'
import { mkdir, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { DEFAULT_TEMPLATE_DECK_DIR } from '@edgetwin/openfast-container'
import { describe, expect, it } from 'vitest'
import { AUTH, executeAndWait, multipartBody, perTestApp, templateDeckParts, testApp } from './support.js'

const t = perTestApp()

const HOUR_MS = 3_600_000

describe('retention of finished runs', () => {
  it('deletes runs finished more than runsMaxAgeS ago, decks uploaded that long ago and folders an earlier process left, keeps younger runs', async () => {
    let nowMs = Date.parse('2026-11-30T12:00:00Z')
    const data = join(t.dir, 'data')
    t.app = await testApp(data, { retention: { runsMaxAgeS: 3600, sweepIntervalS: 1 } }, undefined, { now: () => new Date(nowMs) })
    const start = async () => {
      const { id, status } = await executeAndWait(t.app!, { engine: 'rotor-model', windSpeedMps: 8, durationS: 2 })
      expect(status).toMatchObject({ state: 'SUCCEEDED' })
      return id
    }
    const old = await start()
    nowMs += 50 * 60_000
    const young = await start()
    // A run folder from an earlier process, last modified two hours before "now".
    const orphan = join(data, 'runs', 'sim-left-by-an-earlier-process')
    await mkdir(orphan, { recursive: true })
    await utimes(orphan, new Date(nowMs - 2 * HOUR_MS), new Date(nowMs - 2 * HOUR_MS))

    // An uploaded deck, stored two hours before "now".
    const { payload, headers } = multipartBody(await templateDeckParts(DEFAULT_TEMPLATE_DECK_DIR))
    const deckId = (await t.app.inject({ method: 'POST', url: '/decks', headers: { ...AUTH, ...headers }, payload })).json().deckId
    const deckDir = join(data, 'decks', deckId)
    await utimes(deckDir, new Date(nowMs - 2 * HOUR_MS), new Date(nowMs - 2 * HOUR_MS))

    nowMs += 40 * 60_000 // old finished 90 min ago, young 40 min ago
    // Waits for the sweep to delete all three (the test times out if it never does).
    for (;;) {
      const res = await t.app.inject({ method: 'GET', url: `/status?id=${old}`, headers: AUTH })
      if (res.statusCode === 404 && !existsSync(orphan) && !existsSync(deckDir)) break
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(existsSync(join(data, 'runs', old))).toBe(false)
    expect((await t.app.inject({ method: 'GET', url: `/status?id=${young}`, headers: AUTH })).json()).toMatchObject({ state: 'SUCCEEDED' })
    expect(existsSync(join(data, 'runs', young, 'results', 'simulation.out'))).toBe(true)
  })
})
