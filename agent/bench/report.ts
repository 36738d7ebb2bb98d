import type { PhaseResult } from './phases.js'

/** A figure; `not run` when its phase was not run (`--only`), so a reference is never a bare `?`. */
export const fmt = (v: number | undefined, digits = 0) =>
  v === undefined || Number.isNaN(v)
    ? 'not run'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
export const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? 'not run' : `${fmt(a / b, 2)}x`
/** A figure with its unit, or `not run`. */
export const u = (v: number | undefined, unit: string, digits = 0) =>
  v === undefined || Number.isNaN(v) ? 'not run' : `${fmt(v, digits)} ${unit}`
/** ` (V8 heap 40 MB, outside it 60 MB)` at the moment of a peak, when the phase measured it. */
export const split = (heapMb: number | undefined, outsideMb: number | undefined) =>
  heapMb === undefined ? '' : ` (V8 heap ${u(heapMb, 'MB')}, outside it ${u(outsideMb, 'MB')})`

export const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

export type Row = [figure: string, measured: string, ceiling: string, ratio: string, goal: string]

/** The rows of one record size: the agent beside each ceiling, the peer, and the SDK transport when it ran. */
export function sizeRows(r: Record<string, PhaseResult>, size: '200B' | '2KB', perCall: string): Row[] {
  const rows: Row[] = []
  const sq = r[`sqlite${size}`]
  const mq = r[`mqtt${size}`]
  const peer = r[`peer${size}`]
  const co = r[`composite${size}`]
  const a = r[`agent${size}`]
  const many = r[`many${size}`]
  const label = size === '2KB' ? '2 KB' : '200 B'
  rows.push(
    [
      `agent end to end, ${label} records`,
      `${u(a?.endToEndPerS, 'rec/s')}`,
      `SQLite pipeline ${u(sq?.pipelinePerS, 'rec/s')}`,
      ratio(a?.endToEndPerS, sq?.pipelinePerS),
      '>= 0.7x and >= 50,000 rec/s',
    ],
    [
      `agent end to end per CPU-second, ${label}`,
      `${u(a?.endToEndPerCpuS, 'rec/CPU-s')}`,
      `SQLite pipeline ${u(sq?.pipelinePerCpuS, 'rec/CPU-s')}`,
      ratio(a?.endToEndPerCpuS, sq?.pipelinePerCpuS),
      'load-independent',
    ],
    [
      `agent end to end per CPU-second, ${label}`,
      `${u(a?.endToEndPerCpuS, 'rec/CPU-s')}`,
      `durable pipeline (SQLite + MQTT.js + gzip, nothing else) ${u(co?.recordsPerCpuS, 'rec/CPU-s')}`,
      ratio(a?.endToEndPerCpuS, co?.recordsPerCpuS),
      'the ceiling that binds',
    ],
    [
      `durable pipeline alone, ${label}`,
      `${u(co?.recordsPerS, 'rec/s')}, ${u(co?.recordsPerCpuS, 'rec/CPU-s')}`,
      `SQLite pipeline ${u(sq?.pipelinePerS, 'rec/s')}, ${u(sq?.pipelinePerCpuS, 'rec/CPU-s')}`,
      `${ratio(co?.recordsPerS, sq?.pipelinePerS)}, ${ratio(co?.recordsPerCpuS, sq?.pipelinePerCpuS)}`,
      'bounds the 0.7x goal',
    ],
    [
      `agent end to end, ${label}, acceptMany of ${perCall}`,
      `${u(many?.endToEndPerS, 'rec/s')}`,
      `SQLite pipeline ${u(sq?.pipelinePerS, 'rec/s')}`,
      ratio(many?.endToEndPerS, sq?.pipelinePerS),
      '>= 0.7x and >= 50,000 rec/s',
    ],
    [
      `same, per CPU-second, acceptMany of ${perCall}`,
      `${u(many?.endToEndPerCpuS, 'rec/CPU-s')}`,
      `durable pipeline ${u(co?.recordsPerCpuS, 'rec/CPU-s')}`,
      ratio(many?.endToEndPerCpuS, co?.recordsPerCpuS),
      'the ceiling that binds',
    ],
    [
      `agent accept, ${label}`,
      `${u(a?.acceptPerS, 'rec/s')}`,
      `SQLite insert alone ${u(sq?.insertPerS, 'rec/s')}`,
      ratio(a?.acceptPerS, sq?.insertPerS),
      '-',
    ],
    [
      `agent end to end, ${label}`,
      `${u(a?.endToEndPerS, 'rec/s')}`,
      mq
        ? `MQTT.js + gzip alone, the same records in batches of ${fmt(mq.recordsPerBatch)}: ${u(mq.recordsPerS, 'rec/s')}, ${u(mq.recordsPerCpuS, 'rec/CPU-s')}`
        : 'MQTT.js + gzip alone: not run (--only mqtt)',
      ratio(a?.endToEndPerS, mq?.recordsPerS),
      '-',
    ],
    [
      `peer: MQTT.js, in-memory store, ${label}`,
      `${u(peer?.recordsPerS, 'rec/s')}`,
      `agent ${u(a?.endToEndPerS, 'rec/s')} (durable)`,
      `agent ${ratio(a?.endToEndPerS, peer?.recordsPerS)}`,
      'agent ahead',
    ],
    [
      `peer per CPU-second, ${label}`,
      `${u(peer?.recordsPerCpuS, 'rec/CPU-s')}`,
      `agent ${u(a?.endToEndPerCpuS, 'rec/CPU-s')}`,
      `agent ${ratio(a?.endToEndPerCpuS, peer?.recordsPerCpuS)}`,
      'agent ahead',
    ],
    [`agent CPU, ${label}`, `${fmt(a?.cpuShare, 2)} cores`, 'main thread + libuv pool', '-', '-'],
    [
      `agent end to end, ${label}, AWS IoT SDK v2 transport (MQTT 5)`,
      `${fmt(r[`sdk${size}`]?.endToEndPerS)} rec/s`,
      `MQTT.js transport ${u(a?.endToEndPerS, 'rec/s')}`,
      ratio(r[`sdk${size}`]?.endToEndPerS, a?.endToEndPerS),
      '-',
    ],
    [
      `per CPU-second, ${label}, AWS IoT SDK v2 transport`,
      `${fmt(r[`sdk${size}`]?.endToEndPerCpuS)} rec/CPU-s`,
      `MQTT.js transport ${u(a?.endToEndPerCpuS, 'rec/CPU-s')}`,
      ratio(r[`sdk${size}`]?.endToEndPerCpuS, a?.endToEndPerCpuS),
      '-',
    ],
  )
  return rows
}
