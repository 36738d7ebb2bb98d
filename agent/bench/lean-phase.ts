/**
 * Entry of the phases whose memory is measured (the device-flag end to end and the drain): bundled on its own,
 * so the process holds the agent and that phase only, not the bench's esbuild, simulator or turbine model.
 */
import { bufferedThenDrain } from './drain.js'
import { agentEndToEnd } from './phases.js'
import type { RecordSize } from './records.js'

function arg(name: string, fallback: string): string {
  const i = process.argv.lastIndexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback
}

const phase = arg('phase', '')
const size = arg('size', '200B') as RecordSize
const result =
  phase === 'drain'
    ? await bufferedThenDrain(Number(arg('buffered', '1000000')))
    : await agentEndToEnd(arg('url', ''), Number(arg('records', '200000')), Number(arg('protocol', '5')) as 4 | 5, 'gzip', size)
process.stdout.write(`${JSON.stringify(result)}\n`)
