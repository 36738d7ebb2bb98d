import type {
  ConsoleDaysInZone,
  ConsoleReplacement,
  ConsoleSettings,
  ConsoleTrack,
  ConsoleVehicle,
  ConsoleVehicles,
} from '@edgetwin/shared-schemas'
import L from 'leaflet'
import { ago, api, errorBox, fmt, h, table } from './api.js'
import { type Page, setQuery } from './page.js'

const today = () => new Date().toISOString().slice(0, 10)
const daysBefore = (day: string, n: number) => new Date(Date.parse(day) - n * 86_400_000).toISOString().slice(0, 10)

/** The fleet: map with the zone and every vehicle's last position (live), a vehicle's day, the two zone reports. */
export function fleetPage(): Page {
  let map: L.Map | undefined
  const markers = new Map<string, L.CircleMarker>()
  const vehicles = new Map<string, ConsoleVehicle>()
  let settings: ConsoleSettings
  let trackLayer: L.LayerGroup | undefined
  let listEl: HTMLElement
  let countEl: HTMLElement
  let selected: string | undefined
  let trackPanel: HTMLElement
  let listTimer: ReturnType<typeof setTimeout> | undefined

  const markerStyle = (v: ConsoleVehicle, stale: boolean): L.CircleMarkerOptions => ({
    radius: v.deviceId === selected ? 8 : 6,
    weight: v.deviceId === selected ? 3 : 1.5,
    color: '#1b1b1b',
    fillColor: stale ? '#9aa0a6' : v.insideZone ? '#d93025' : '#1a73e8',
    fillOpacity: 0.9,
    className: `vehicle-marker${stale ? ' stale' : ''}`,
  })
  const isStale = (v: ConsoleVehicle) => Date.now() - Date.parse(v.receivedTime) > settings.staleAfterS * 1000

  const upsert = (v: ConsoleVehicle) => {
    vehicles.set(v.deviceId, v)
    let m = markers.get(v.deviceId)
    if (!m) {
      m = L.circleMarker([v.lat, v.lon], markerStyle(v, isStale(v))).addTo(map!)
      m.bindTooltip(v.deviceId)
      m.on('click', () => void selectVehicle(v.deviceId))
      m.getElement()?.setAttribute('data-device-id', v.deviceId)
      markers.set(v.deviceId, m)
    } else {
      m.setLatLng([v.lat, v.lon])
      m.setStyle(markerStyle(v, isStale(v)))
    }
  }

  const renderList = () => {
    const rows = [...vehicles.values()].sort((a, b) => a.deviceId.localeCompare(b.deviceId))
    countEl.textContent = `${rows.length} vehicle${rows.length === 1 ? '' : 's'} · ${rows.filter((v) => v.insideZone).length} in zone`
    listEl.replaceChildren(
      table(
        'vehicles',
        ['vehicle', 'zone', 'last sample · received'],
        rows.map((v) => [
          h('a', { href: `/fleet?vehicle=${v.deviceId}`, 'data-vehicle': v.deviceId }, v.deviceId),
          v.insideZone ? h('span', { class: 'badge in' }, 'inside') : h('span', { class: 'badge out' }, 'outside'),
          h(
            'span',
            { class: isStale(v) ? 'stale-text' : '', title: `sampled ${v.sampleTime}, received ${v.receivedTime}` },
            `${new Date(v.sampleTime).toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'short' })} · ${ago(Date.now() - Date.parse(v.receivedTime))}${isStale(v) ? ' · stale' : ''}`,
          ),
        ]),
      ),
    )
  }

  async function selectVehicle(
    deviceId: string,
    day = (document.getElementById('track-day') as HTMLInputElement | null)?.value || today(),
  ) {
    selected = deviceId
    setQuery({ vehicle: deviceId, day })
    for (const v of vehicles.values()) upsert(v)
    trackLayer?.clearLayers()
    trackPanel.replaceChildren(h('p', {}, `Loading ${deviceId} on ${day}…`))
    try {
      const track = await api<ConsoleTrack>(`/api/fleet/vehicles/${encodeURIComponent(deviceId)}/track`, { day })
      drawTrack(track)
    } catch (err) {
      trackPanel.replaceChildren(errorBox(err))
    }
  }

  function drawTrack(track: ConsoleTrack) {
    trackLayer ??= L.layerGroup().addTo(map!)
    const line = track.positions.map((p) => [p.lat, p.lon] as L.LatLngTuple)
    if (line.length > 0) {
      L.polyline(line, { color: '#6a1b9a', weight: 3, className: 'track-line' }).addTo(trackLayer)
      map!.fitBounds(L.latLngBounds(line).pad(0.2))
    }
    for (const e of track.events) {
      L.circleMarker([e.Position[1]!, e.Position[0]!], {
        radius: 7,
        color: e.EventType === 'ENTER' ? '#d93025' : '#188038',
        fillOpacity: 1,
        className: `zone-event ${e.EventType.toLowerCase()}`,
      })
        .bindTooltip(`${e.EventType} ${new Date(e.SampleTime).toLocaleTimeString()}`)
        .addTo(trackLayer)
    }
    trackPanel.replaceChildren(
      h('h3', {}, `${track.deviceId} on ${track.day}`),
      h('p', { class: 'muted' }, `${track.positions.length} stored positions · charging day in ${track.timeZone}`),
      track.events.length === 0
        ? h('p', { class: 'muted' }, 'No zone entries or exits that day.')
        : table(
            'zone-events',
            ['time', 'event'],
            track.events.map((e) => [new Date(e.SampleTime).toLocaleTimeString(), e.EventType]),
          ),
    )
  }

  async function loadReports(panel: HTMLElement, from: string, to: string, fee: string) {
    setQuery({ from, to, fee })
    panel.replaceChildren(h('p', {}, 'Computing reports…'))
    try {
      const [diz, rep] = await Promise.all([
        api<ConsoleDaysInZone>('/api/fleet/reports/days-in-zone', { from, to, fee }),
        api<ConsoleReplacement>('/api/fleet/reports/replacement', { from, to }),
      ])
      const money = (n: number) => n.toLocaleString('en-GB', { style: 'currency', currency: 'GBP' })
      const dizTable = table(
        'report days-in-zone',
        ['vehicle', 'days in zone', 'charges'],
        diz.rows.map((r) => [r.deviceId, String(r.daysInZone), money(r.charges)]),
        new Set([1, 2]),
      )
      dizTable.append(
        h(
          'tfoot',
          {},
          h(
            'tr',
            { class: 'totals' },
            h('th', {}, `${diz.totals.vehicles} vehicles`),
            h('th', { class: 'num' }, String(diz.totals.daysInZone)),
            h('th', { class: 'num' }, money(diz.totals.charges)),
          ),
        ),
      )
      panel.replaceChildren(
        h('h3', {}, `Days in zone ${diz.from} → ${diz.to} at ${money(diz.dailyFee)}/day`),
        dizTable,
        diz.skippedRows > 0 ? h('p', { class: 'error' }, `${diz.skippedRows} unreadable archive rows skipped`) : '',
        h('h3', {}, 'Replacement candidates (not meeting emission standards)'),
        rep.rows.length === 0
          ? h('p', { class: 'muted' }, 'None in this range.')
          : table(
              'report replacement',
              ['vehicle', 'purchased', 'mileage', 'age (y)', 'days in zone', 'miles / year'],
              rep.rows.map((r) => [
                r.deviceId,
                r.purchaseDate,
                fmt(r.mileage, 0),
                fmt(r.ageYears, 2),
                String(r.daysInZone),
                fmt(r.mileagePerYear, 0),
              ]),
              new Set([2, 3, 4, 5]),
            ),
      )
    } catch (err) {
      panel.replaceChildren(errorBox(err))
    }
  }

  return {
    async mount(root, params) {
      settings = await api<ConsoleSettings>('/api/settings')
      const mapEl = h('div', { id: 'map', class: 'map' })
      countEl = h('p', { class: 'count' })
      listEl = h('div', { class: 'vehicle-list' })
      trackPanel = h(
        'div',
        { class: 'track-panel' },
        h('p', { class: 'muted' }, 'Choose a vehicle on the map or in the list to see its day.'),
      )
      const day = h('input', { type: 'date', id: 'track-day', value: params.get('day') ?? today() })
      day.addEventListener('change', () => selected && void selectVehicle(selected, day.value))
      const to = params.get('to') ?? today()
      const from = params.get('from') ?? daysBefore(to, 6)
      const fromIn = h('input', { type: 'date', id: 'report-from', value: from })
      const toIn = h('input', { type: 'date', id: 'report-to', value: to })
      const feeIn = h('input', {
        type: 'number',
        id: 'report-fee',
        step: '0.01',
        min: '0',
        value: params.get('fee') ?? String(settings.dailyFee),
      })
      const reportPanel = h('div', { class: 'reports' })
      const run = h('button', { type: 'button', id: 'report-run' }, 'Run reports')
      run.addEventListener('click', () => void loadReports(reportPanel, fromIn.value, toIn.value, feeIn.value))
      root.append(
        h(
          'section',
          { class: 'fleet-grid' },
          h('div', { class: 'map-wrap' }, mapEl),
          h('aside', { class: 'side' }, h('h2', {}, 'Vehicles'), countEl, h('label', {}, 'Day ', day), trackPanel, listEl),
        ),
        h(
          'section',
          { class: 'card' },
          h('h2', {}, 'Zone reports'),
          h(
            'div',
            { class: 'controls' },
            h('label', {}, 'From ', fromIn),
            h('label', {}, 'To ', toIn),
            h('label', {}, 'Fee £ ', feeIn),
            run,
          ),
          reportPanel,
        ),
      )
      map = L.map(mapEl, { preferCanvas: false, zoomSnap: 0.25, attributionControl: Boolean(settings.basemapUrl) })
      if (settings.basemapUrl) L.tileLayer(settings.basemapUrl, { attribution: settings.basemapAttribution ?? '' }).addTo(map)
      const zoneLatLngs = settings.zone.coordinates.map((poly) =>
        poly.map((ring) => ring.map(([lon, lat]) => [lat!, lon!] as L.LatLngTuple)),
      )
      L.polygon(zoneLatLngs, { color: '#d93025', weight: 2, fillOpacity: 0.08, className: 'zone-layer' })
        .bindTooltip(settings.zone.id)
        .addTo(map)
      const [minLon, minLat, maxLon, maxLat] = settings.zone.bbox
      map.fitBounds(
        [
          [minLat!, minLon!],
          [maxLat!, maxLon!],
        ],
        { padding: [10, 10] },
      )
      L.control.scale({ imperial: false }).addTo(map)
      const listed = await api<ConsoleVehicles>('/api/fleet/vehicles')
      for (const v of listed.vehicles) upsert(v)
      // The zone and every vehicle in view, so a vehicle far outside is not missed.
      const bounds = L.latLngBounds([
        [minLat!, minLon!],
        [maxLat!, maxLon!],
      ])
      for (const v of listed.vehicles) bounds.extend([v.lat, v.lon])
      map.fitBounds(bounds, { padding: [16, 16] })
      if (!listed.listed) countEl.after(h('p', { class: 'muted' }, 'This tracker cannot list vehicles; positions appear as they report.'))
      renderList()
      const vehicle = params.get('vehicle')
      if (vehicle) await selectVehicle(vehicle, day.value)
      await loadReports(reportPanel, from, to, feeIn.value)
    },
    onLive(update) {
      if (!map || update.vehicles.length === 0) return
      const added = update.vehicles.some((v) => !vehicles.has(v.deviceId))
      for (const v of update.vehicles) upsert(v)
      // Markers move at every push; the list (a table of every vehicle) is rebuilt at most every 2 s, or at once
      // when a vehicle appears, so a thousand reporting vehicles do not keep the page busy.
      if (added) renderList()
      else if (listTimer === undefined) {
        listTimer = setTimeout(() => {
          listTimer = undefined
          renderList()
        }, 2000)
      }
    },
    unmount() {
      clearTimeout(listTimer)
      map?.remove()
      map = undefined
    },
  }
}
