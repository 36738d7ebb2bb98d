/**
 * Child-process entry of the rotor-model engine: the reduced-order model is CPU-bound, so it runs here rather
 * than on the server's event loop. Protocol over the IPC channel: the parent sends one RotorModelJob; the child
 * sends `{ type: 'progress', fraction }` messages, writes the `.out` file and exits 0 (non-zero with the error on
 * stderr on failure).
 */
import { writeFile } from 'node:fs/promises'
import { formatOutFile, type RunOptions, runSimulation } from '@edgetwin/turbine-model'

export interface RotorModelJob {
  readonly options: Omit<RunOptions, 'onProgress' | 'signal'>
  readonly outFile: string
  readonly description: string
}

const PROGRESS_STEP = 0.01

function runJob(job: RotorModelJob): Promise<void> {
  let lastSent = -1
  const output = runSimulation({
    ...job.options,
    onProgress: (fraction) => {
      if (fraction - lastSent >= PROGRESS_STEP || fraction >= 1) {
        lastSent = fraction
        process.send?.({ type: 'progress', fraction })
      }
    },
  })
  return writeFile(job.outFile, formatOutFile(output, job.description))
}

process.once('message', (job: RotorModelJob) => {
  runJob(job).then(
    () => process.disconnect?.(),
    (err: Error) => {
      process.stderr.write(`rotor-model failed: ${err.stack ?? err.message}\n`)
      process.exit(1)
    },
  )
})
