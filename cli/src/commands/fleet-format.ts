import type { DaysInZoneRow, ReplacementRow } from '@edgetwin/cloud'

export type ReportFormat = 'table' | 'csv' | 'json'

function table(header: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (rightAligned[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

// RFC 4180: quote a field that holds a comma, a quote or a line break; double the quotes inside.
const csvField = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)
const csv = (header: string[], rows: string[][]) => [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n')

export function formatDaysInZone(rows: readonly DaysInZoneRow[], format: ReportFormat): string {
  if (format === 'json') return JSON.stringify(rows, null, 2)
  const header = ['deviceId', 'daysInZone', 'charges']
  const cells = rows.map((r) => [r.deviceId, String(r.daysInZone), r.charges.toFixed(2)])
  if (format === 'csv') return csv(header, cells)
  const total = rows.reduce((s, r) => s + r.charges, 0)
  return `${table(header, cells, [false, true, true])}\ntotal charges: ${total.toFixed(2)}`
}

export function formatReplacement(rows: readonly ReplacementRow[], format: ReportFormat): string {
  if (format === 'json') return JSON.stringify(rows, null, 2)
  const header = ['deviceId', 'purchaseDate', 'mileage', 'ageYears', 'daysInZone', 'mileagePerYear']
  const cells = rows.map((r) => [
    r.deviceId,
    r.purchaseDate,
    String(r.mileage),
    r.ageYears.toFixed(2),
    String(r.daysInZone),
    String(r.mileagePerYear),
  ])
  if (format === 'csv') return csv(header, cells)
  return table(header, cells, [false, false, true, true, true, true])
}
