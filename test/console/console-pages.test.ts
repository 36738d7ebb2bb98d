/// <reference lib="dom" />
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { ConsoleTurbineSeries } from '@edgetwin/shared-schemas'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { repoRoot } from '../support/cli.js'
import { type Browser, chromiumAvailable, launchBrowser } from './support/browser.js'
import {
  type ConsoleCloud,
  eventually,
  healthReport,
  INSIDE,
  startConsoleCloud,
  turbineTelemetry,
  vehicleDay,
} from './support/console-cloud.js'

const run = promisify(execFile)
const D1 = '2026-11-24'
const D2 = '2026-11-25'
const at8 = (day: string) => new Date(`${day}T08:00:00Z`)

/** Per vehicle, its fixes on D1 and D2 (in or out of the zone), and what a person counts from them. */
const PLANS = {
  'v-01': { d1: ['in', 'in', 'out', 'out', 'in'], d2: ['out', 'out'] },
  'v-02': { d1: ['out', 'out', 'out', 'out'], d2: ['in', 'out'] },
  'v-03': { d1: ['in', 'in', 'in'], d2: ['in', 'in'] },
  'v-04': { d1: ['out', 'out', 'out'], d2: ['out', 'out'] },
  'v-05': { d1: ['out', 'in', 'out'], d2: [] },
} as const
const POSITIONS = Object.values(PLANS).reduce((n, p) => n + p.d1.length + p.d2.length, 0)
const EXPECTED_DAYS = { 'v-01': 1, 'v-02': 1, 'v-03': 2, 'v-04': 0, 'v-05': 1 }

async function cliJson(env: ConsoleCloud, report: string, extra: string[] = []): Promise<unknown> {
  const { stdout } = await run(
    process.execPath,
    [
      '--conditions=@edgetwin/source',
      '--import',
      'tsx',
      join(repoRoot, 'cli/src/main.ts'),
      'fleet',
      'report',
      report,
      '--config',
      env.configFile,
      '--from',
      D1,
      '--to',
      D2,
      '--format',
      'json',
      ...extra,
    ],
    { cwd: repoRoot },
  )
  return JSON.parse(stdout)
}

const browserTests = chromiumAvailable() ? describe : describe.skip

it('has Chromium when CI=true (the browser tests must not skip silently there)', () => {
  if (process.env['CI'] === 'true') expect(chromiumAvailable(), '/usr/bin/chromium is missing').toBe(true)
  else if (!chromiumAvailable()) console.warn('console browser tests skipped: /usr/bin/chromium not installed')
})

browserTests('the console in headless Chromium', () => {
  let env: ConsoleCloud
  let browser: Browser
  let base: string
  let endMs: number

  beforeAll(async () => {
    env = await startConsoleCloud()
    base = env.console.url
    browser = await launchBrowser()
    await env.fleet.maintenance.put({ DeviceId: 'v-02', PurchaseDate: '2015-03-01', Mileage: 91_000, MeetsEmissionStandards: false })
    await env.fleet.maintenance.put({ DeviceId: 'v-03', PurchaseDate: '2022-06-01', Mileage: 20_000, MeetsEmissionStandards: true })
    const pub = await env.publisher()
    for (const [id, plan] of Object.entries(PLANS)) {
      await pub.publish('vehicle', id, 'position', [...vehicleDay(at8(D1), plan.d1), ...vehicleDay(at8(D2), plan.d2, 0.003)])
    }
    endMs = Math.floor(Date.now() / 1000) * 1000
    await pub.publish('turbine', 't-01', 'metrics', turbineTelemetry(new Date(endMs), 3600, 0.15, 11))
    await pub.publish('turbine', 't-02', 'metrics', turbineTelemetry(new Date(endMs), 600, 0.05, 12))
    const now = new Date()
    for (const id of [...Object.keys(PLANS), 't-01', 't-02']) {
      await pub.publish(id.startsWith('t-') ? 'turbine' : 'vehicle', id, 'health', [healthReport(id, now)])
    }
    await pub.publish('gateway', 'gw-stale', 'health', [
      healthReport('gw-stale', new Date(now.getTime() - 3_600_000), {
        connection: 'disconnected',
        queueDepth: 812,
        counters: { accepted: 900, published: 88, acked: 88, evicted: 12, rejected: 0, quarantined: 2, filtered: 0, reconnects: 9 },
      }),
    ])
    // Wait for the router to have stored everything, then for the twin to investigate the turbulent turbine.
    await eventually(async () => {
      const r = await fetch(`${base}api/turbines/t-01/series`)
      if (!r.ok) return undefined
      const s = (await r.json()) as ConsoleTurbineSeries
      return s.timeMs.length === 3600 ? s : undefined
    }, 't-01 telemetry stored')
    await eventually(async () => ((await env.cloud.ingest.deviceStatus.list!()).length === 8 ? true : undefined), 'health reports stored')
    await eventually(async () => (env.fleet.consumers.counters.archived >= POSITIONS ? true : undefined), 'position events archived')
    await env.fleet.flush()
    await env.twin.loop.tick(new Date(endMs))
  }, 240_000)

  afterAll(async () => {
    await browser?.close()
    await env?.close()
  })

  it('fleet: one marker per reporting vehicle, the zone drawn, report rows and totals equal to the CLI', async () => {
    const page = await browser.open(`${base}fleet?from=${D1}&to=${D2}&fee=12.5`, { width: 1280, height: 800 })
    await page.waitForSelector('table.days-in-zone tfoot')
    expect(await page.locator('path.vehicle-marker').count()).toBe(5)
    expect(await page.locator('path.zone-layer').count()).toBe(1)
    const rows = await page.$$eval('table.days-in-zone tbody tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent)),
    )
    const cli = (await cliJson(env, 'days-in-zone', ['--fee', '12.5'])) as { deviceId: string; daysInZone: number; charges: number }[]
    expect(rows.map((r) => [r[0], Number(r[1])])).toEqual(cli.map((r) => [r.deviceId, r.daysInZone]))
    expect(Object.fromEntries(cli.map((r) => [r.deviceId, r.daysInZone]))).toEqual(EXPECTED_DAYS)
    expect(rows.map((r) => r[2])).toEqual(cli.map((r) => `£${r.charges.toFixed(2)}`))
    const totals = await page.$$eval('table.days-in-zone tfoot th', (ths) => ths.map((th) => th.textContent))
    expect(totals).toEqual(['5 vehicles', '5', '£62.50'])
    const replacement = await page.$$eval('table.replacement tbody tr td:first-child', (tds) => tds.map((td) => td.textContent))
    const cliReplacement = (await cliJson(env, 'replacement', ['--source', 'objects'])) as { deviceId: string }[]
    expect(replacement).toEqual(cliReplacement.map((r) => r.deviceId))
    expect(replacement).toEqual(['v-02'])
    await browser.shot(page, 'fleet-1280x800')
    await page.close()
  })

  it("fleet: a vehicle's day deep-linked shows its track and its two zone crossings", async () => {
    const page = await browser.open(`${base}fleet?vehicle=v-01&day=${D1}`, { width: 1280, height: 800 })
    await page.waitForSelector('path.track-line')
    const events = await page.$$eval('table.zone-events tbody tr td:last-child', (tds) => tds.map((td) => td.textContent))
    expect(events).toEqual(['EXIT', 'ENTER'])
    expect(await page.locator('path.zone-event').count()).toBe(2)
    await browser.shot(page, 'fleet-track-1280x800')
    await page.close()
  })

  it('fleet: a position published over MQTT appears on the map within 2 s', async () => {
    const page = await browser.open(`${base}fleet`, { width: 1280, height: 800 })
    await page.waitForSelector('#live-status.on')
    const pub = await env.publisher()
    const published = Date.now()
    await pub.publish('vehicle', 'v-06', 'position', [{ sampleTime: new Date().toISOString(), lon: INSIDE[0], lat: INSIDE[1] }])
    await page.waitForFunction(() => document.querySelectorAll('path.vehicle-marker').length === 6, undefined, {
      timeout: 30_000,
      polling: 50,
    })
    const latencyMs = Date.now() - published
    expect(latencyMs).toBeLessThan(2000)
    expect(await page.locator('a[data-vehicle="v-06"]').count()).toBe(1)
    await page.close()
  })

  it("turbines: the chart holds the last hour's points, over-speed alarms marked, 10-minute statistics, the controller in force", async () => {
    const page = await browser.open(`${base}turbines?turbine=t-01`, { width: 1280, height: 800 })
    await page.waitForSelector('.turbine-detail .chart canvas')
    expect(await page.locator('.turbine-detail .chart').count()).toBe(4)
    const summary = await page.textContent('#series-summary')
    expect(summary).toMatch(/^3600 samples/)
    const api = (await (await fetch(`${base}api/turbines/t-01/series`)).json()) as ConsoleTurbineSeries
    expect(api.timeMs[0]).toBe(endMs - 3_600_000)
    expect(api.timeMs.at(-1)).toBe(endMs - 1000)
    const alarms = api.alarms.filter((a) => a.alarm === 'overspeed').length
    expect(alarms).toBeGreaterThan(0)
    expect(summary).toContain(`${alarms} over-speed alarm samples`)
    // Six 10-minute windows cover the hour (seven when it does not start on a window boundary).
    expect(await page.locator('table.stats tbody tr').count()).toBe(endMs % 600_000 === 0 ? 6 : 7)
    // The twin sent version 1 to t-01 (its decision above); the turbine, with no agent applying it, still reports 0.
    const [decision] = await env.twin.provenance.list({ deviceId: 't-01', limit: 1 })
    expect(decision?.decision.action).toBe('update')
    expect(await page.textContent('#controller-version')).toBe(`version ${decision?.decision.documentVersion}`)
    expect(await page.textContent('#telemetry-version')).toBe("the turbine's telemetry reports version 0")
    await browser.shot(page, 'turbines-1280x800')
    await page.close()
  })

  it('twin: the timeline lists every decision in the log with its simulations per controller and seed', async () => {
    // A rollback as the twin records it when the agent's health gate undid an update (outcome FAILED).
    const [update] = (await env.twin.provenance.list({ limit: 1000 })).filter((d) => d.decision.action === 'update')
    expect(update?.jobId).toBeTruthy()
    await env.twin.provenance.append({
      ...update!,
      id: 'outcome-of-the-update',
      createdAt: new Date(Date.parse(update!.createdAt) + 60_000).toISOString(),
      conditions: { outcomeOf: update!.id },
      results: null,
      decision: { action: 'none', reason: `job ${update!.jobId} ended FAILED on ${update!.deviceId}, rolled back to controller version 0` },
      outcome: {
        decisionId: update!.id,
        jobId: update!.jobId!,
        status: 'FAILED',
        reasonCode: 'ALARMS_WORSE',
        reason: 'alarmed samples 55 % > 29 %',
      },
    } as never)
    const logged = await env.twin.provenance.list({ limit: 1000 })
    expect(logged.length).toBeGreaterThan(1)
    const page = await browser.open(`${base}twin`, { width: 1280, height: 800 })
    const ids = await page.$$eval('details.decision', (ds) => ds.map((d) => d.getAttribute('data-decision-id')))
    expect(ids).toEqual(logged.map((d) => d.id))
    const rollback = page.locator('details[data-decision-id="outcome-of-the-update"]')
    expect(await rollback.locator('summary .badge').textContent()).toBe('rolled back')
    await rollback.locator('summary').click()
    expect(await rollback.locator('table.outcome tbody tr').textContent()).toContain('ALARMS_WORSE: alarmed samples 55 % > 29 %')
    const withSims = logged.find((d) => !d.outcome) as (typeof logged)[number]
    const metrics = (withSims.results as { metrics: Record<string, unknown[]> }).metrics
    const runs = Object.values(metrics).reduce((n, r) => n + r.length, 0)
    expect(await page.locator(`details[data-decision-id="${withSims.id}"] table.simulations tbody tr`).count()).toBe(runs)
    if (withSims.jobId) {
      const card = page.locator(`details[data-decision-id="${withSims.id}"]`)
      if ((await card.getAttribute('open')) === null) await card.locator('summary').click()
      await page.waitForSelector(`details[data-decision-id="${withSims.id}"] table.executions tbody tr`)
    }
    await browser.shot(page, 'twin-1280x800')
    await page.close()
  })

  it('devices: every agent listed with its health, the silent one flagged stale', async () => {
    const page = await browser.open(`${base}devices`, { width: 1280, height: 800 })
    expect(await page.locator('table.devices tbody tr').count()).toBe(8)
    expect(await page.$$eval('table.devices tbody tr.stale', (trs) => trs.map((tr) => tr.getAttribute('data-device-id')))).toEqual([
      'gw-stale',
    ])
    expect(await page.textContent('#stale-summary')).toMatch(/^1 stale/)
    // Turbines show the controller version their telemetry reports; vehicles have none.
    const controller = await page.$$eval('table.devices tbody tr', (trs) =>
      Object.fromEntries(trs.map((tr) => [tr.getAttribute('data-device-id'), tr.querySelectorAll('td')[9]?.textContent])),
    )
    expect(controller).toMatchObject({ 't-01': 'v0', 't-02': 'v0', 'v-01': '–' })
    await browser.shot(page, 'devices-1280x800')
    await page.close()
  })

  it('is usable at 390×844: no page scrolls sideways, the map and tables are there', async () => {
    for (const path of ['fleet', 'turbines', 'twin', 'devices']) {
      const page: Page = await browser.open(`${base}${path}`, { width: 390, height: 844 })
      if (path === 'fleet') await page.waitForSelector('table.days-in-zone')
      await browser.shot(page, `${path}-390x844`)
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
      expect(overflow, `${path} scrolls sideways by ${overflow} px`).toBeLessThanOrEqual(0)
      await page.close()
    }
  })

  it('logged no console errors and fetched nothing from outside the console', () => {
    expect(browser.errors).toEqual([])
  })
})
