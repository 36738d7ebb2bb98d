// npm run bench:gateway — a gateway agent reading a PostgreSQL table into one-hour windows, with the aggregates
// going upstream through the agent's outbox to Mosquitto. Prints rows/s beside the ceiling (the same poll query
// alone, same batch size, same server, same run), bytes written to storage per row, and peak RSS.
// Usage: npm run bench:gateway -- [rows=200000] [batchSize=1000]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAgent, createGateway } from '@edgetwin/agent'
import { createValidator, decodeEnvelope, GatewayProfileConfig, parseConfig } from '@edgetwin/shared-schemas'
import mqtt from 'mqtt'
import pino from 'pino'
import { startMosquitto } from '../support/mosquitto.js'
import { startPostgres } from './postgres.js'

const ROWS = Number(process.argv[2] ?? 200_000)
const BATCH = Number(process.argv[3] ?? 1000)
const DEVICES = 4
const PASSWORD = 'bench-Pa55-6a7b'
// In the past, so the gateway's clock closes the last windows once it has caught up.
const BASE_MS = Date.UTC(2024, 0, 1)

/** Bytes this process has caused to be written to storage (Linux /proc/self/io `write_bytes`). */
function storageWriteBytes(): number {
  const m = /write_bytes: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))
  return Number(m?.[1] ?? Number.NaN)
}

const pg = await startPostgres()
const broker = await startMosquitto({ persistence: false })
const dataDir = mkdtempSync(join(tmpdir(), 'edgetwin-gw-bench-'))
try {
  await pg.createUserAndDatabase('gateway', PASSWORD, 'plant')
  const site = await pg.admin('plant')
  await site.query(`CREATE TABLE readings (id bigserial PRIMARY KEY, device_id text NOT NULL, ts timestamptz NOT NULL,
    temperature_c double precision, pressure_kpa double precision, vibration_mms double precision)`)
  await site.query('ALTER TABLE readings OWNER TO gateway')
  // 5 rows/s per device, as the plant: ROWS rows cover ROWS / (5 × DEVICES) seconds.
  await site.query(
    `INSERT INTO readings (device_id, ts, temperature_c, pressure_kpa, vibration_mms)
     SELECT 'machine-' || (i % $2), to_timestamp($3 / 1000.0 + (i / $2) * 0.2), 20 + (i % 37) * 0.5, 100 + (i % 53), (i % 101) * 0.1
     FROM generate_series(0, $1 - 1) AS i`,
    [ROWS, DEVICES, BASE_MS],
  )
  await site.query('VACUUM ANALYZE readings')

  // Ceiling: the gateway's own poll query, alone, through the same driver and batch size.
  const ceilingStart = performance.now()
  let wm = 0
  for (;;) {
    const r = await site.query(
      `SELECT id::text AS wm, device_id::text, (extract(epoch FROM ts) * 1000)::float8 AS t, temperature_c::float8, pressure_kpa::float8,
       vibration_mms::float8 FROM readings WHERE id > $1::bigint ORDER BY id LIMIT $2`,
      [wm, BATCH],
    )
    if (r.rows.length === 0) break
    wm = Number(r.rows[r.rows.length - 1].wm)
  }
  const ceilingRowsPerS = ROWS / ((performance.now() - ceilingStart) / 1000)

  const received = { aggregates: 0, messages: 0 }
  const sub = await mqtt.connectAsync(broker.url, { clientId: 'bench-sub', protocolVersion: 4 })
  sub.on('message', (_topic, payload) => {
    received.messages++
    received.aggregates += decodeEnvelope(payload).records.length
  })
  await sub.subscribeAsync('dt/edgetwin/gateway/gw-bench/aggregate', { qos: 1 })

  const agent = createAgent(
    { deviceId: 'gw-bench', kind: 'gateway', dataDir, broker: { url: broker.url }, logLevel: 'warn' },
    { logger: pino({ level: 'warn' }) },
  )
  // The gateway on its own, handing records to the agent as its extension does, so the bench can read its status.
  const gateway = createGateway(
    parseConfig(createValidator(GatewayProfileConfig), {
      database: { host: '127.0.0.1', port: pg.port, database: 'plant', user: 'gateway', password: { env: 'PLANT_DB_PASSWORD' } },
      postgres: [
        {
          name: 'machines',
          table: 'readings',
          watermark: { column: 'id', type: 'integer' },
          deviceColumn: 'device_id',
          timeColumn: 'ts',
          metricColumns: ['temperature_c', 'pressure_kpa', 'vibration_mms'],
          pollIntervalMs: 50,
          batchSize: BATCH,
        },
      ],
      processing: { windowS: 3600 },
      residency: { allow: [] },
    }),
    {
      dataDir,
      logger: pino({ level: 'warn' }),
      emit: (stream, record) => agent.accept(stream, record),
      secrets: { env: { PLANT_DB_PASSWORD: PASSWORD } },
    },
  )
  const expectedAggregates = Math.ceil((BASE_MS / 1000 + ROWS / DEVICES / 5) / 3600 - BASE_MS / 1000 / 3600) * DEVICES * 3
  let peakRss = 0
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
  }, 50)
  const writesBefore = storageWriteBytes()
  const start = performance.now()
  await agent.start()
  await gateway.start()
  while (received.aggregates < expectedAggregates) await new Promise((r) => setTimeout(r, 20))
  const elapsedS = (performance.now() - start) / 1000
  const cpu = process.cpuUsage()
  const { checkpoint, sources } = gateway.status()
  await gateway.close()
  await agent.close()
  const writesAfter = storageWriteBytes()
  clearInterval(sampler)
  await sub.endAsync()
  await site.end()

  const rowsPerS = ROWS / elapsedS
  const fmt = (n: number) => Math.round(n).toLocaleString('en-GB')
  console.log(`gateway bench: ${fmt(ROWS)} rows (${DEVICES} devices × 3 metrics, 5 rows/s each), 1-hour windows, batch ${BATCH}`)
  console.log(`  PostgreSQL → aggregates upstream   ${fmt(rowsPerS)} rows/s`)
  console.log(`  ceiling: the poll query alone       ${fmt(ceilingRowsPerS)} rows/s   ratio ${(rowsPerS / ceilingRowsPerS).toFixed(2)}×`)
  console.log(`  storage writes (/proc/self/io)      ${((writesAfter - writesBefore) / ROWS).toFixed(1)} bytes/row (goal < 200)`)
  console.log(`  of which checkpoints                ${(checkpoint.bytes / ROWS).toFixed(3)} bytes/row in ${checkpoint.writes} writes`)
  console.log(
    `  peak RSS                            ${(peakRss / 2 ** 20).toFixed(0)} MB; CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s in all (bench process, incl. the ceiling run)`,
  )
  console.log(
    `  aggregates at the broker            ${received.aggregates} in ${received.messages} message(s); rows read ${sources[0]?.rows}`,
  )
} finally {
  await Promise.allSettled([pg.destroy(), broker.stop()])
  rmSync(broker.dir, { recursive: true, force: true })
  rmSync(dataDir, { recursive: true, force: true })
}
