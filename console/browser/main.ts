import 'leaflet/dist/leaflet.css'
import 'uplot/dist/uPlot.min.css'
import './styles.css'
import type { ConsoleLiveUpdate } from '@edgetwin/shared-schemas'
import { liveUrl } from './api.js'
import { devicesPage } from './devices.js'
import { fleetPage } from './fleet.js'
import type { Page } from './page.js'
import { turbinesPage } from './turbines.js'
import { twinPage } from './twin.js'

const PAGES: Record<string, () => Page> = { fleet: fleetPage, turbines: turbinesPage, twin: twinPage, devices: devicesPage }

let current: Page | undefined

async function show(): Promise<void> {
  const name = location.pathname.replace(/^\/+/, '').split('/')[0] || 'fleet'
  const make = PAGES[name] ?? fleetPage
  current?.unmount?.()
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) a.classList.toggle('active', a.dataset['page'] === name)
  const root = document.getElementById('page')!
  root.replaceChildren()
  root.dataset['page'] = name
  current = make()
  document.title = `edgetwin · ${name}`
  await current.mount(root, new URLSearchParams(location.search))
  root.dataset['ready'] = 'true'
}

/** In-app navigation keeps the page deep-linkable: every view state is in the address. */
export function navigate(path: string): void {
  history.pushState(null, '', path)
  void show()
}

document.addEventListener('click', (e) => {
  const a = (e.target as HTMLElement).closest('a')
  if (!a || a.target || a.origin !== location.origin || e.ctrlKey || e.metaKey) return
  e.preventDefault()
  navigate(a.pathname + a.search)
})
window.addEventListener('popstate', () => void show())

function connectLive(): void {
  const status = document.getElementById('live-status')!
  const source = new EventSource(liveUrl())
  source.addEventListener('open', () => {
    status.textContent = 'live'
    status.className = 'live on'
  })
  source.addEventListener('error', () => {
    status.textContent = 'reconnecting…'
    status.className = 'live off'
  })
  source.addEventListener('update', (e) => {
    const update = JSON.parse((e as MessageEvent<string>).data) as ConsoleLiveUpdate
    status.title = `last update ${new Date(update.serverTime).toLocaleTimeString()}`
    current?.onLive?.(update)
  })
}

void show()
connectLive()
