import { execFile } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { expect, it } from 'vitest'
import { tempDir } from '../ingest/support/fixtures.js'
import { repoRoot } from '../support/cli.js'

const run = promisify(execFile)

/** An archived position event as the local tracker writes it (inside the 2021 ULEZ: central London). */
const event = (deviceId: string, sampleTime: string) => ({
  version: '0',
  id: `00000000-0000-4000-8000-${String(Math.abs(sampleTime.length * 7919 + deviceId.length)).padStart(12, '0')}`,
  'detail-type': 'Location Device Position Event',
  source: 'aws.geo',
  account: '000000000000',
  time: '2026-07-01T09:00:00Z',
  region: 'local',
  resources: ['arn:aws:geo:local:000000000000:tracker/edgetwin-tracker'],
  detail: {
    EventType: 'UPDATE',
    TrackerName: 'edgetwin-tracker',
    DeviceId: deviceId,
    SampleTime: sampleTime,
    ReceivedTime: '2026-07-01T09:00:00.000Z',
    Position: [-0.1276, 51.5072],
  },
})

it('fleet report days-in-zone skips and counts an archived event with an impossible date instead of failing', async () => {
  const tmp = tempDir('edgetwin-report-')
  try {
    const dataDir = join(tmp.dir, 'cloud')
    // An archive object written before timestamps were checked at the boundary: one good day, then 2026-02-30.
    const folder = join(dataDir, 'objects', 'position-events', 'van-1', '2026', '07', '01')
    mkdirSync(folder, { recursive: true })
    const lines = [
      event('van-1', '2026-07-01T08:00:00.000Z'),
      event('van-1', '2026-02-30T10:00:00Z'),
      event('van-2', '2026-07-02T24:00:00Z'),
    ]
    writeFileSync(
      join(folder, 'edgetwin-position-events-1-2026-07-01-09-00-00-x.gz'),
      gzipSync(`${lines.map((l) => JSON.stringify(l)).join('\n')}\n`),
    )
    const cfg = join(tmp.dir, 'cloud.json')
    writeFileSync(cfg, JSON.stringify({ dataDir }))
    const { stdout, stderr } = await run(
      process.execPath,
      [
        '--conditions=@edgetwin/source',
        '--import',
        'tsx',
        join(repoRoot, 'cli/src/main.ts'),
        'fleet',
        'report',
        'days-in-zone',
        '--config',
        cfg,
        '--from',
        '2026-07-01',
        '--to',
        '2026-07-31',
        '--fee',
        '12.50',
        '--format',
        'json',
      ],
      { cwd: repoRoot },
    )
    expect(JSON.parse(stdout)).toMatchObject([{ deviceId: 'van-1', daysInZone: 1, days: ['2026-07-01'] }])
    expect(stderr).toContain('skipped 2 unreadable rows of 3')
  } finally {
    tmp.remove()
  }
}, 60_000)
