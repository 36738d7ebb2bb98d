/**
 * `npm run bench:model`: first the error against the OpenFAST reference points (accuracy-report.ts), then simulated
 * seconds per wall-clock second of a 600 s run at the default 0.01 s step (target: at least 2,000x real time), steady
 * and turbulent, median of several repeats after a warm-up.
 */
import { cpus } from 'node:os'
import { runSimulation } from '../src/index.js'
import { printAccuracyReport } from './accuracy-report.js'

const DURATION_S = 600
const REPEATS = 7

function measure(label: string, options: Parameters<typeof runSimulation>[0]): number {
  runSimulation({ ...options, durationS: 60 }) // warm-up (JIT)
  const times: number[] = []
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now()
    runSimulation({ ...options, seed: i + 1 })
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  const median = times[Math.floor(REPEATS / 2)]!
  const speed = DURATION_S / (median / 1000)
  process.stdout.write(
    `${label.padEnd(44)} wall median ${median.toFixed(1).padStart(7)} ms  min ${times[0]!.toFixed(1).padStart(7)} ms  ` +
      `=> ${Math.round(speed).toLocaleString('en-US').padStart(9)}x real time\n`,
  )
  return speed
}

process.stdout.write(
  `bench:model  node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, ${DURATION_S} s runs, dt 0.01 s, output 0.05 s\n`,
)
const worst = printAccuracyReport((line) => process.stdout.write(`${line}\n`))
const accurate = worst.power < 0.02 && worst.speed < 0.02 && worst.pitchDeg < 1 && worst.thrust < 0.05
process.stdout.write(
  `largest error at the OpenFAST points: power ${(worst.power * 100).toFixed(2)} %, speed ${(worst.speed * 100).toFixed(2)} %, ` +
    `pitch ${worst.pitchDeg.toFixed(2)}°, thrust ${(worst.thrust * 100).toFixed(2)} % (limits 2 %, 2 %, 1°, 5 %): ${accurate ? 'PASS' : 'FAIL'}\n\n`,
)
if (!accurate) process.exitCode = 1

const results = [
  measure('steady 8 m/s (region 2)', { windSpeedMps: 8, durationS: DURATION_S }),
  measure('steady 16 m/s (region 3)', { windSpeedMps: 16, durationS: DURATION_S }),
  measure('turbulent 16 m/s TI 0.2 (Kaimal)', { windSpeedMps: 16, turbulenceIntensity: 0.2, durationS: DURATION_S }),
  measure('turbulent 11 m/s TI 0.15, output every step', {
    windSpeedMps: 11,
    turbulenceIntensity: 0.15,
    durationS: DURATION_S,
    outputDtS: 0.01,
  }),
]
const slowest = Math.min(...results)
process.stdout.write(
  `slowest case ${Math.round(slowest).toLocaleString('en-US')}x real time (target >= 2,000x): ${slowest >= 2000 ? 'PASS' : 'FAIL'}\n`,
)
if (slowest < 2000) process.exitCode = 1
