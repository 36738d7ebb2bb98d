import type { ConsoleLiveUpdate } from '@edgetwin/shared-schemas'

/** One view of the console: drawn into its root from the address's query, updated by live pushes. */
export interface Page {
  mount(root: HTMLElement, params: URLSearchParams): Promise<void>
  onLive?(update: ConsoleLiveUpdate): void
  unmount?(): void
}

/** Replaces the address's query without a reload (the view stays deep-linkable). */
export function setQuery(values: Record<string, string | undefined>): void {
  const q = new URLSearchParams(location.search)
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || v === '') q.delete(k)
    else q.set(k, v)
  }
  history.replaceState(null, '', `${location.pathname}${q.size ? `?${q}` : ''}`)
}
