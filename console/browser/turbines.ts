import type { ConsoleTurbineSeries, ConsoleTurbines } from '@edgetwin/shared-schemas'
import uPlot from 'uplot'
import { ago, api, errorBox, fmt, h, table } from './api.js'
import type { Page } from './page.js'

const CHARTS = [
  { field: 'rotorSpeedRpm', label: 'Rotor speed', unit: 'rpm', color: '#1a73e8' },
  { field: 'generatorPowerKw', label: 'Power', unit: 'kW', color: '#188038' },
  { field: 'bladePitchDeg', label: 'Pitch', unit: '°', color: '#e37400' },
  { field: 'windSpeedMps', label: 'Wind', unit: 'm/s', color: '#6a1b9a' },
] as const

/** Red vertical lines where a sample carried the over-speed alarm. */
function alarmMarks(alarmTimesS: () => number[]): uPlot.Plugin {
  return {
    hooks: {
      draw: (u) => {
        const ctx = u.ctx
        ctx.save()
        ctx.strokeStyle = 'rgba(217,48,37,0.55)'
        ctx.lineWidth = 1
        for (const t of alarmTimesS()) {
          const x = Math.round(u.valToPos(t, 'x', true))
          ctx.beginPath()
          ctx.moveTo(x, u.bbox.top)
          ctx.lineTo(x, u.bbox.top + u.bbox.height)
          ctx.stroke()
        }
        ctx.restore()
      },
    },
  }
}

/** Turbines: the list, and per turbine the last hour at 1 Hz with over-speed alarms, 10-minute statistics, the controller in force. */
export function turbinesPage(): Page {
  let series: ConsoleTurbineSeries | undefined
  const plots: uPlot[] = []
  let alarmsS: number[] = []
  let resize: (() => void) | undefined

  const drawCharts = (host: HTMLElement) => {
    const s = series!
    const x = s.timeMs.map((t) => t / 1000)
    alarmsS = s.alarms.filter((a) => a.alarm === 'overspeed').map((a) => a.timeMs / 1000)
    const width = Math.max(280, host.clientWidth - 8)
    for (const c of CHARTS) {
      const el = h('div', { class: 'chart', 'data-field': c.field })
      host.append(el)
      const plot = new uPlot(
        {
          width,
          height: 170,
          title: `${c.label} (${c.unit})`,
          legend: { show: true },
          scales: { x: { time: true } },
          series: [{}, { label: c.label, stroke: c.color, width: 1.25, points: { show: false } }],
          axes: [{}, { size: 56 }],
          plugins: [alarmMarks(() => alarmsS)],
        },
        [x, s[c.field] as (number | null)[]],
        el,
      )
      plots.push(plot)
    }
    resize = () => {
      for (const p of plots) p.setSize({ width: Math.max(280, host.clientWidth - 8), height: 170 })
    }
    window.addEventListener('resize', resize)
  }

  return {
    async mount(root, params) {
      const { turbines } = await api<ConsoleTurbines>('/api/turbines').catch((err) => {
        root.append(errorBox(err))
        return { turbines: [] }
      })
      const chosen = params.get('turbine') ?? turbines[0]?.deviceId
      root.append(
        h(
          'section',
          { class: 'card' },
          h('h2', {}, `Turbines (${turbines.length})`),
          table(
            'turbines',
            ['turbine', 'newest sample', 'controller', 'over-speed alarms (last hour)'],
            turbines.map((t) => [
              h('a', { href: `/turbines?turbine=${t.deviceId}`, class: t.deviceId === chosen ? 'current' : undefined }, t.deviceId),
              t.lastSampleMs === null ? '–' : ago(Date.now() - t.lastSampleMs),
              t.controllerVersion === null ? '–' : `v${t.controllerVersion}`,
              t.overspeedAlarmsLastHour > 0 ? h('span', { class: 'badge alarm' }, String(t.overspeedAlarmsLastHour)) : '0',
            ]),
            new Set([3]),
          ),
        ),
      )
      if (!chosen) return
      const detail = h('section', { class: 'card turbine-detail', 'data-turbine': chosen })
      root.append(detail)
      try {
        series = await api<ConsoleTurbineSeries>(`/api/turbines/${encodeURIComponent(chosen)}/series`, { minutes: 60 })
      } catch (err) {
        detail.append(errorBox(err))
        return
      }
      const s = series
      const reported = turbines.find((t) => t.deviceId === chosen)?.controllerVersion ?? null
      const overspeed = s.alarms.filter((a) => a.alarm === 'overspeed').length
      const charts = h('div', { class: 'charts' })
      detail.append(
        h('h2', {}, `${chosen} — last hour`),
        h(
          'p',
          { class: 'muted', id: 'series-summary' },
          `${s.timeMs.length} samples from ${new Date(s.fromMs).toLocaleTimeString()} to ${new Date(s.toMs).toLocaleTimeString()}; `,
          h('span', { class: overspeed > 0 ? 'alarm-text' : '' }, `${overspeed} over-speed alarm samples (red lines)`),
        ),
        charts,
      )
      drawCharts(charts)
      const windows = [...new Set(s.stats.map((w) => w.windowStartMs))].sort((a, b) => a - b)
      const stat = (field: string, w: number) => s.stats.find((x) => x.field === field && x.windowStartMs === w)
      detail.append(
        h('h3', {}, '10-minute statistics (mean / max; wind σ)'),
        table(
          'stats',
          ['window', 'rotor rpm', 'power kW', 'pitch °', 'wind m/s', 'wind σ', 'samples'],
          windows.map((w) => {
            const r = stat('rotorSpeedRpm', w)
            const p = stat('generatorPowerKw', w)
            const b = stat('bladePitchDeg', w)
            const v = stat('windSpeedMps', w)
            return [
              new Date(w).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
              `${fmt(r?.mean)} / ${fmt(r?.max)}`,
              `${fmt(p?.mean, 0)} / ${fmt(p?.max, 0)}`,
              `${fmt(b?.mean)} / ${fmt(b?.max)}`,
              `${fmt(v?.mean)} / ${fmt(v?.max)}`,
              fmt(v?.std ?? null, 2),
              String(r?.count ?? 0),
            ]
          }),
          new Set([1, 2, 3, 4, 5, 6]),
        ),
        h('h3', {}, 'Controller in force'),
        s.controller
          ? h(
              'div',
              {},
              h(
                'p',
                {},
                h('strong', { id: 'controller-version' }, `version ${s.controller.version}`),
                ' — the latest the twin decided for this turbine',
              ),
              h(
                'p',
                { class: 'muted', id: 'telemetry-version' },
                `the turbine's telemetry reports ${reported === null ? 'no version' : `version ${reported}`}`,
              ),
              table(
                'controller',
                ['parameter', 'value'],
                Object.entries(s.controller.parameters).map(([k, v]) => [k, String(v)]),
                new Set([1]),
              ),
            )
          : h('p', { class: 'muted' }, 'The twin loop is off in this cloud: the parameters in force are not tracked here.'),
      )
    },
    onLive(update) {
      if (!series || plots.length === 0) return
      const mine = update.turbines.find((t) => t.deviceId === series!.deviceId)
      if (!mine || mine.timeMs <= (series.timeMs.at(-1) ?? 0)) return
      series.timeMs.push(mine.timeMs)
      for (const c of CHARTS) (series[c.field] as (number | null)[]).push(mine[c.field])
      const cutoff = mine.timeMs - 3_600_000
      while (series.timeMs.length > 0 && series.timeMs[0]! < cutoff) {
        series.timeMs.shift()
        for (const c of CHARTS) (series[c.field] as (number | null)[]).shift()
      }
      if (mine.alarms.includes('overspeed')) alarmsS.push(mine.timeMs / 1000)
      const x = series.timeMs.map((t) => t / 1000)
      for (const [i, c] of CHARTS.entries()) plots[i]!.setData([x, series[c.field] as (number | null)[]])
    },
    unmount() {
      if (resize) window.removeEventListener('resize', resize)
      for (const p of plots) p.destroy()
    },
  }
}
