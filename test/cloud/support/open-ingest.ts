/**
 * Child process for the time series migration tests: opens the local ingest on the data directory given (which
 * moves an older timeseries.db into ingest.db), logging to stdout, then closes it.
 */
import { createLocalIngest } from '@edgetwin/cloud'
import { pino } from 'pino'

const dataDir = process.argv[2]
if (!dataDir) throw new Error('usage: open-ingest.ts <dataDir>')
const ingest = createLocalIngest({ dataDir, logger: pino({ level: 'info' }) })
await ingest.close()
console.log('ingest opened and closed')
