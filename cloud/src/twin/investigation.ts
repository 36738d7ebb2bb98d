import type { SimulationRequest, TwinControllerInput, TwinDecisionInputs } from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'
import { type ControllerResults, type Decision, decideControllerUpdate } from './decide.js'
import { simulationMetrics } from './metrics.js'
import type { SimulationRunner } from './ports.js'

/** The solver step each engine uses when none is configured: sent explicitly so the provenance states it. */
export const ENGINE_DEFAULT_DT_S: Readonly<Record<TwinDecisionInputs['simulation']['engine'], number>> = {
  'rotor-model': 0.01,
  // DT of the NREL 5-MW deck the dispatch server ships (openfast-container/openfast-deck/NREL-5MW.fst).
  openfast: 0.00625,
}

/** The request of one run: the inputs' common simulation, the controller in force with the patch, the seed. */
export function simulationRequest(
  inputs: TwinDecisionInputs,
  controller: TwinControllerInput,
  seed: number,
  label: string,
): SimulationRequest {
  const s = inputs.simulation
  return {
    engine: s.engine,
    windSpeedMps: s.windSpeedMps,
    turbulenceIntensity: s.turbulenceIntensity,
    seed,
    durationS: s.durationS,
    dtS: s.dtS,
    outputDtS: s.outputDtS,
    controllerParameters: { ...inputs.parametersInForce.parameters, ...(controller.patch ?? {}) },
    label,
  }
}

export interface Investigation {
  readonly results: ControllerResults[]
  readonly decision: Decision
  /** `controller → seed → simulation id` for every run the server accepted. */
  readonly simulationIds: Record<string, Record<string, string>>
  /** `controller → seed → error` for every run that did not finish. */
  readonly failures: Record<string, Record<string, string>>
  readonly resultLocations: string[]
  /** The engine versions the server reported (one, unless the fleet of servers is mixed). */
  readonly engineVersions: string[]
}

/**
 * Runs every controller of `inputs` for every seed through `runner`, post-processes each `.out` and applies the
 * decision rule. Used by the twin loop and, with the inputs a record stored, by `edgetwin twin replay`.
 * A run that fails is not dropped silently: its seed is missing from that controller's results, the error is
 * kept in `failures`, and the rule defers the decision.
 */
export async function simulateAndDecide(
  inputs: TwinDecisionInputs,
  runner: SimulationRunner,
  options: { label: string; log?: Logger; signal?: AbortSignal },
): Promise<Investigation> {
  const simulationIds: Record<string, Record<string, string>> = {}
  const failures: Record<string, Record<string, string>> = {}
  const resultLocations: string[] = []
  const engineVersions = new Set<string>()
  const results: ControllerResults[] = await Promise.all(
    inputs.controllers.map(async (c) => {
      const runs = await Promise.allSettled(
        inputs.seeds.map(async (seed) => {
          const out = await runner.run(simulationRequest(inputs, c, seed, options.label), options.signal)
          engineVersions.add(out.engineVersion)
          simulationIds[c.name] = { ...simulationIds[c.name], [String(seed)]: out.simulationId }
          if (out.resultLocations) resultLocations.push(...out.resultLocations)
          return simulationMetrics(seed, out.outText, {
            overspeedGeneratorRpm: inputs.postProcessing.overspeedGeneratorRpm,
            maxGeneratorTorqueNm: { ...inputs.parametersInForce.parameters, ...(c.patch ?? {}) }.maxGeneratorTorqueNm,
          })
        }),
      )
      runs.forEach((r, i) => {
        if (r.status === 'fulfilled') return
        const seed = String(inputs.seeds[i])
        failures[c.name] = { ...failures[c.name], [seed]: (r.reason as Error)?.message ?? String(r.reason) }
        options.log?.error({ controller: c.name, seed, err: r.reason }, 'simulation did not finish')
      })
      return { name: c.name, patch: c.patch, runs: runs.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])) }
    }),
  )
  const [current, ...others] = results as [ControllerResults, ...ControllerResults[]]
  const decision = decideControllerUpdate(current, others, inputs.decisionRule, inputs.seeds)
  return { results, decision, simulationIds, failures, resultLocations, engineVersions: [...engineVersions] }
}
