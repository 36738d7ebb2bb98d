import type { ConsoleDecisions, ConsoleJob } from '@edgetwin/shared-schemas'
import { api, errorBox, fmt, h, table } from './api.js'
import type { Page } from './page.js'

type Decision = ConsoleDecisions['decisions'][number]
interface Results {
  simulationIds?: unknown
  failures?: unknown[]
  metrics?: Record<string, Record<string, unknown>[]>
  aggregates?: unknown
  rejectedCandidates?: { name: string; reason: string }[]
  groupTargets?: string[]
}

const text = (v: unknown) => (typeof v === 'number' ? fmt(v, Number.isInteger(v) ? 0 : 3) : typeof v === 'string' ? v : JSON.stringify(v))

/** Per controller and seed, the post-processed metrics of each simulation. */
function simulationsTable(results: Results): HTMLElement {
  const metrics = results.metrics ?? {}
  const rows: Record<string, unknown>[] = []
  for (const [controller, runs] of Object.entries(metrics)) for (const r of runs ?? []) rows.push({ controller, ...r })
  if (rows.length === 0) return h('p', { class: 'muted' }, 'No simulations (a rollout stage, or every run failed).')
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter(
    (k) => typeof rows.find((r) => r[k] !== undefined)?.[k] !== 'object',
  )
  return table(
    'simulations',
    keys,
    rows.map((r) => keys.map((k) => text(r[k]))),
  )
}

/** An execution's status details in words: a rollback names the version restored and the agent's reason. */
function executionDetails(status: string, details: Record<string, unknown> | null): string | HTMLElement {
  if (!details) return ''
  const { rolledBackTo, reasonCode, reason, ...rest } = details
  const extra = Object.entries(rest)
    .map(([k, v]) => `${k} ${text(v)}`)
    .join(' · ')
  if (rolledBackTo !== undefined) {
    return h(
      'span',
      { class: 'rollback' },
      h('strong', {}, `rolled back to version ${text(rolledBackTo)}`),
      `${reasonCode ? ` — ${text(reasonCode)}` : ''}${reason ? `: ${text(reason)}` : ''}${extra ? ` · ${extra}` : ''}`,
    )
  }
  const why = `${reasonCode ? text(reasonCode) : ''}${reason ? `${reasonCode ? ': ' : ''}${text(reason)}` : ''}`
  return [status === 'REJECTED' && why ? `refused — ${why}` : why, extra].filter(Boolean).join(' · ')
}

async function jobPanel(jobId: string): Promise<HTMLElement> {
  try {
    const job = await api<ConsoleJob>(`/api/twin/jobs/${encodeURIComponent(jobId)}`)
    return h(
      'div',
      { class: 'job' },
      h(
        'p',
        {},
        h('strong', {}, `job ${job.jobId}`),
        ` · ${job.status}${job.reasonCode ? ` (${job.reasonCode})` : ''} · targets ${job.targets.join(', ')}`,
      ),
      table(
        'executions',
        ['device', 'state', 'version', 'details'],
        job.executions.map((e) => [
          e.thingName,
          h('span', { class: `badge ${e.status.toLowerCase()}` }, e.status),
          String(e.versionNumber),
          executionDetails(e.status, e.statusDetails),
        ]),
      ),
    )
  } catch (err) {
    return errorBox(err)
  }
}

function decisionCard(d: Decision, open: boolean): HTMLElement {
  const results = (d.results ?? {}) as Results
  const c = d.conditions
  const outcome = d.outcome
  const rolledBack = outcome?.status === 'FAILED'
  const kind = outcome ? 'job outcome' : c['canaryJobId'] !== undefined ? 'rollout stage' : 'investigation'
  const body = h('div', { class: 'decision-body' })
  const card = h(
    'details',
    { class: `decision ${d.decision.action}`, 'data-decision-id': d.id, ...(open ? { open: '' } : {}) },
    h(
      'summary',
      {},
      h('span', { class: 'when' }, new Date(d.createdAt).toLocaleString()),
      h('span', { class: 'device' }, d.deviceId),
      outcome
        ? h('span', { class: `badge outcome ${outcome.status.toLowerCase()}` }, rolledBack ? 'rolled back' : outcome.status.toLowerCase())
        : h(
            'span',
            { class: `badge ${d.decision.action}` },
            d.decision.action === 'update' ? `update → ${d.decision.candidate ?? ''}` : d.decision.action,
          ),
      h('span', { class: 'kind muted' }, kind),
      h('span', { class: 'reason' }, d.decision.reason),
    ),
    body,
  )
  if (outcome) {
    body.append(
      h('h4', {}, rolledBack ? 'Rollback on the turbine' : 'How the job ended'),
      table(
        'outcome',
        ['job', 'decision', 'candidate', 'status', 'reason'],
        [
          [
            outcome.jobId,
            outcome.decisionId,
            outcome.candidate ?? '–',
            h('span', { class: `badge ${outcome.status.toLowerCase()}` }, outcome.status),
            `${outcome.reasonCode ?? ''}${outcome.reason ? `${outcome.reasonCode ? ': ' : ''}${outcome.reason}` : ''}`,
          ],
        ],
      ),
      h('p', {}, d.decision.reason),
    )
    return card
  }
  body.append(
    h('h4', {}, 'Anomaly and conditions'),
    table(
      'conditions',
      ['condition', 'value'],
      Object.entries(c)
        .filter(([, v]) => typeof v !== 'object' || v === null)
        .map(([k, v]) => [k, text(v)]),
    ),
    h('h4', {}, `Simulations — ${d.engine} ${d.engineVersion}, seeds ${d.seeds.join(', ')}`),
    simulationsTable(results),
    results.simulationIds ? h('p', { class: 'muted ids' }, `simulation ids: ${JSON.stringify(results.simulationIds)}`) : '',
    results.rejectedCandidates?.length
      ? h('p', {}, `Set aside before simulating: ${results.rejectedCandidates.map((r) => `${r.name} (${r.reason})`).join('; ')}`)
      : '',
    h('h4', {}, 'Decision'),
    h('p', {}, d.decision.reason),
    d.decision.patch
      ? table(
          'patch',
          ['parameter', 'new value'],
          Object.entries(d.decision.patch).map(([k, v]) => [k, String(v)]),
        )
      : '',
    h(
      'p',
      { class: 'muted' },
      `inputs sha256 ${d.inputsHash.slice(0, 16)}… · document version ${d.decision.documentVersion ?? '–'}${results.groupTargets?.length ? ` · group stage next: ${results.groupTargets.join(', ')}` : ''}`,
    ),
  )
  if (d.jobId) {
    const slot = h('div', {}, h('p', { class: 'muted' }, `job ${d.jobId}…`))
    body.append(h('h4', {}, 'Job and rollout'), slot)
    card.addEventListener(
      'toggle',
      () => {
        if (card.open && !slot.dataset['loaded']) {
          slot.dataset['loaded'] = '1'
          void jobPanel(d.jobId!).then((p) => slot.replaceChildren(p))
        }
      },
      { once: false },
    )
  }
  return card
}

/** The twin's decision timeline with full provenance, newest first. */
export function twinPage(): Page {
  let root: HTMLElement
  let params: URLSearchParams
  let shown = -1
  const render = async () => {
    const q = params.get('turbine') ?? undefined
    try {
      const res = await api<ConsoleDecisions>('/api/twin/decisions', { deviceId: q, limit: 200 })
      shown = res.decisions.length
      const focus = params.get('decision')
      root.replaceChildren(
        h(
          'section',
          { class: 'card' },
          h('h2', {}, `Twin decisions (${res.decisions.length})${q ? ` for ${q}` : ''}`),
          res.enabled ? null : h('p', { class: 'muted' }, 'The twin loop is off in this cloud (twin.enabled = false).'),
          res.enabled && res.decisions.length === 0
            ? h('p', { class: 'muted' }, 'No decisions yet: no anomaly has been investigated.')
            : null,
          h('div', { class: 'timeline' }, ...res.decisions.map((d, i) => decisionCard(d, focus ? d.id === focus : i === 0))),
        ),
      )
      for (const open of root.querySelectorAll<HTMLDetailsElement>('details.decision[open]')) open.dispatchEvent(new Event('toggle'))
    } catch (err) {
      root.replaceChildren(errorBox(err))
    }
  }
  return {
    async mount(r, p) {
      root = r
      params = p
      await render()
    },
    onLive(update) {
      if (update.decisions !== null && update.decisions !== shown) void render()
    },
  }
}
