/** The console's token, given once as `?token=` in the address and kept for this tab. */
function token(): string | null {
  const fromUrl = new URLSearchParams(location.search).get('token')
  if (fromUrl) sessionStorage.setItem('edgetwin-console-token', fromUrl)
  return fromUrl ?? sessionStorage.getItem('edgetwin-console-token')
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** GET a JSON route of the console API. */
export async function api<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v))
  const t = token()
  const res = await fetch(`${path}${q.size ? `?${q}` : ''}`, { headers: t ? { authorization: `Bearer ${t}` } : {} })
  const body = await res.json()
  if (!res.ok) throw new ApiError(res.status, body.code ?? 'ERROR', body.message ?? res.statusText)
  return body as T
}

/** The live stream (EventSource cannot send headers, so the token goes in the query). */
export function liveUrl(): string {
  const t = token()
  return t ? `/api/live?token=${encodeURIComponent(t)}` : '/api/live'
}

/** Builds an element: `h('td', { class: 'num' }, '12')`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | undefined> = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, v)
  for (const c of children) if (c !== null && c !== undefined) el.append(c)
  return el
}

/** A table from a header row and body rows; cells given as strings or nodes. */
export function table(cls: string, head: string[], rows: (string | Node)[][], numeric: ReadonlySet<number> = new Set()): HTMLTableElement {
  return h(
    'table',
    { class: cls },
    h('thead', {}, h('tr', {}, ...head.map((c, i) => h('th', numeric.has(i) ? { class: 'num' } : {}, c)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c, i) => h('td', numeric.has(i) ? { class: 'num' } : {}, c))))),
  )
}

export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 90) return `${s} s ago`
  if (s < 5400) return `${Math.round(s / 60)} min ago`
  if (s < 48 * 3600) return `${Math.round(s / 3600)} h ago`
  return `${Math.round(s / 86400)} d ago`
}

export function fmt(n: number | null | undefined, digits = 1): string {
  return n === null || n === undefined ? '–' : n.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits })
}

export function errorBox(err: unknown): HTMLElement {
  const msg = err instanceof ApiError ? `${err.code}: ${err.message}` : String(err)
  return h('p', { class: 'error' }, msg)
}
