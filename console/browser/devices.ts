import type { ConsoleDevices } from '@edgetwin/shared-schemas'
import { ago, api, errorBox, fmt, h } from './api.js'
import type { Page } from './page.js'

/** Every agent's health, stale ones flagged first. */
export function devicesPage(): Page {
  let root: HTMLElement
  let pending = false
  const render = async () => {
    try {
      const res = await api<ConsoleDevices>('/api/devices')
      const rows = [...res.devices].sort((a, b) => Number(b.stale) - Number(a.stale) || a.deviceId.localeCompare(b.deviceId))
      const stale = rows.filter((d) => d.stale).length
      const head = [
        'device',
        'health',
        'connection',
        'queue',
        'oldest record',
        'acked',
        'evicted',
        'quarantined',
        'last seen',
        'controller',
        'last error',
      ]
      root.replaceChildren(
        h(
          'section',
          { class: 'card' },
          h('h2', {}, `Devices (${rows.length})`),
          h(
            'p',
            { class: stale > 0 ? 'alarm-text' : 'muted', id: 'stale-summary' },
            `${stale} stale (no report for more than ${res.staleAfterS} s, or offline)`,
          ),
          res.listed ? null : h('p', { class: 'muted' }, 'This device-status store cannot list devices.'),
          h(
            'div',
            { class: 'scroll' },
            h(
              'table',
              { class: 'devices' },
              h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))),
              h(
                'tbody',
                {},
                ...rows.map((d) => {
                  const r = d.report
                  return h(
                    'tr',
                    { class: d.stale ? 'stale' : '', 'data-device-id': d.deviceId },
                    h('td', {}, d.deviceId),
                    h('td', {}, h('span', { class: `badge ${d.stale ? 'stale' : r.status}` }, d.stale ? `STALE · ${r.status}` : r.status)),
                    h('td', {}, r.connection),
                    h('td', { class: 'num' }, `${r.queueDepth} (${fmt(r.queueBytes / 1024, 0)} KiB)`),
                    h('td', { class: 'num' }, r.oldestAgeMs === null ? '–' : ago(r.oldestAgeMs).replace(' ago', '')),
                    h('td', { class: 'num' }, String(r.counters.acked)),
                    h('td', { class: `num${r.counters.evicted > 0 ? ' warn' : ''}` }, String(r.counters.evicted)),
                    h('td', { class: `num${r.counters.quarantined > 0 ? ' warn' : ''}` }, String(r.counters.quarantined)),
                    h('td', {}, ago(d.ageS * 1000)),
                    h('td', {}, d.controllerVersion === null ? '–' : `v${d.controllerVersion}`),
                    h('td', { class: 'small' }, r.lastError ? `${r.lastError.code}: ${r.lastError.message}` : ''),
                  )
                }),
              ),
            ),
          ),
        ),
      )
    } catch (err) {
      root.replaceChildren(errorBox(err))
    }
  }
  return {
    async mount(r) {
      root = r
      await render()
    },
    onLive(update) {
      if (update.devices.length === 0 || pending) return
      pending = true
      void render().finally(() => {
        pending = false
      })
    },
  }
}
