import { randomUUID } from 'node:crypto'
import { DEFAULT_CALIBRATION, formatOutFile, MODEL_VERSION, runSimulation } from '@edgetwin/turbine-model'
import { CloudError } from '../errors.js'
import type { SimulationRunner } from './ports.js'

/**
 * Runs the reduced-order model in this process, without a dispatch server: for a single-machine twin and for
 * tests of the loop. The dispatch server (`createDispatchClient`) is the runner for the `openfast` engine and
 * for many simulations at once.
 */
export function createInProcessRunner(): SimulationRunner {
  return {
    async run(request) {
      if (request.engine !== 'rotor-model') {
        throw new CloudError('CLOUD_DISPATCH_FAILED', `the in-process runner has only the rotor-model engine, not '${request.engine}'`)
      }
      // Yield first so that many queued runs do not starve the event loop in one go.
      await new Promise((resolve) => setImmediate(resolve))
      const output = runSimulation({
        windSpeedMps: request.windSpeedMps,
        turbulenceIntensity: request.turbulenceIntensity,
        seed: request.seed,
        durationS: request.durationS,
        ...(request.dtS !== undefined ? { dtS: request.dtS } : {}),
        ...(request.controllerParameters ? { parameters: request.controllerParameters } : {}),
        ...(request.initialConditions ? { initialConditions: request.initialConditions } : {}),
      })
      // Named as the dispatch server's rotor-model engine names itself, so a replay in process compares equal.
      return {
        simulationId: randomUUID(),
        engineVersion: `${MODEL_VERSION} calibration ${DEFAULT_CALIBRATION.id}`,
        outText: formatOutFile(output, request.label ?? 'edgetwin twin'),
      }
    },
  }
}
