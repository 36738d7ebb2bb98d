import type { ControllerParameters, DeviceEvent, TurbineSample } from '@edgetwin/shared-schemas'
import { CONTROLLER_PARAMETER_DEFAULTS, recordValidators } from '@edgetwin/shared-schemas'
import { type AgentLike, createFarm, createVirtualClock, STUCK_SENSOR_SAMPLES } from '@edgetwin/simulator'
import { describe, expect, it } from 'vitest'

const T0 = Date.UTC(2026, 5, 1)

/** An in-test agent: validates every record against its stream's shared schema and keeps it. */
class Collector implements AgentLike {
  readonly metrics: TurbineSample[] = []
  readonly events: DeviceEvent[] = []
  controller: AgentLike['controller']
  started = false
  closed = false
  async accept(stream: 'metrics' | 'events', record: TurbineSample | DeviceEvent) {
    recordValidators[stream].parse(record)
    if (stream === 'metrics') this.metrics.push(record as TurbineSample)
    else this.events.push(record as DeviceEvent)
    return { seq: this.metrics.length + this.events.length }
  }
  async start() {
    this.started = true
  }
  async close() {
    this.closed = true
  }
}

/** A controller store stand-in with a version and parameters, as `agent.controller` exposes them. */
function store(parameters: ControllerParameters = { ...CONTROLLER_PARAMETER_DEFAULTS }) {
  const s = { version: 1, parameters }
  return {
    view: { current: () => ({ version: s.version, parameters: s.parameters }) },
    apply(patch: Partial<ControllerParameters>) {
      s.version++
      s.parameters = { ...s.parameters, ...patch }
    },
  }
}

function farmOf(n: number, options: Partial<Parameters<typeof createFarm>[0]> = {}) {
  const clock = createVirtualClock({ startTimeMs: T0 })
  const agents = Array.from({ length: n }, () => new Collector())
  const farm = createFarm({ turbines: n, seed: 5, ...options }, { clock, agentFor: (_id, i) => agents[i]! })
  return { clock, agents, farm }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
const std = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)))

describe('wind farm in virtual time', () => {
  it('feeds each agent one valid TurbineSample per virtual second from its own wind', async () => {
    const { clock, agents, farm } = farmOf(3)
    await farm.start()
    expect(agents.every((a) => a.started)).toBe(true)
    await clock.runUntil(T0 + 600_000)
    await farm.close()
    expect(agents.every((a) => a.closed)).toBe(true)
    expect(farm.turbineIds).toEqual(['turbine-001', 'turbine-002', 'turbine-003'])
    for (const a of agents) {
      expect(a.metrics).toHaveLength(600)
      expect(a.metrics[0]!.time).toBe('2026-06-01T00:00:01.000Z')
      expect(a.metrics.at(-1)!.time).toBe('2026-06-01T00:10:00.000Z')
      // Turbulent wind around the site mean of 11 m/s with TI 0.12 by default.
      expect(mean(a.metrics.map((s) => s.windSpeedMps))).toBeGreaterThan(8)
      expect(std(a.metrics.map((s) => s.windSpeedMps))).toBeGreaterThan(0.5)
    }
    expect(agents[0]!.metrics[100]!.windSpeedMps).not.toBe(agents[1]!.metrics[100]!.windSpeedMps)
    expect(farm.stats()).toMatchObject({ ticks: 600, samplesAccepted: 1800, acceptFailures: 0 })
  })

  it('is deterministic for a seed', async () => {
    const run = async () => {
      const { clock, agents, farm } = farmOf(2)
      await farm.start()
      await clock.runUntil(T0 + 120_000)
      await farm.close()
      return agents.map((a) => a.metrics.map((s) => s.generatorPowerKw))
    }
    expect(await run()).toEqual(await run())
  })

  it('applies controller parameters from the agent store when their version changes', async () => {
    const { clock, agents, farm } = farmOf(1, { meanWindSpeedMps: 16, turbulenceIntensity: 0.05, windDrift: { stdMps: 0, timeScaleS: 1 } })
    const s = store()
    agents[0]!.controller = s.view
    await farm.start()
    await clock.runUntil(T0 + 300_000)
    s.apply({ ratedGeneratorSpeedRpm: 1100 })
    await clock.runUntil(T0 + 600_000)
    await farm.close()
    const m = agents[0]!.metrics
    expect(m[299]!.controllerVersion).toBe(1)
    expect(m[599]!.controllerVersion).toBe(2)
    expect(mean(m.slice(200, 300).map((x) => x.generatorSpeedRpm))).toBeCloseTo(1173.7, -1)
    expect(mean(m.slice(500, 600).map((x) => x.generatorSpeedRpm))).toBeCloseTo(1100, -1)
    expect(farm.turbine(0).parameters().ratedGeneratorSpeedRpm).toBe(1100)
  })

  it('raises a controller fault when the store holds parameters the model cannot run', async () => {
    const { clock, agents, farm } = farmOf(1)
    const s = store()
    agents[0]!.controller = s.view
    await farm.start()
    await clock.runUntil(T0 + 5000)
    s.apply({ pitchIntegralGain: -1 })
    await clock.runUntil(T0 + 10_000)
    await farm.close()
    expect(agents[0]!.metrics.at(-1)!.alarms).toContain('controller-fault')
    expect(agents[0]!.events.some((e) => e.type === 'alarm.raised' && e.data?.alarm === 'controller-fault')).toBe(true)
  })

  it('steps the turbulence intensity of one turbine at a virtual time', async () => {
    const { clock, agents, farm } = farmOf(2, { turbulenceIntensity: 0.05, windDrift: { stdMps: 0, timeScaleS: 1 } })
    await farm.start()
    farm.turbine('turbine-002').injectTurbulence(0.25, T0 + 300_000)
    await clock.runUntil(T0 + 600_000)
    await farm.close()
    const wind = (i: number, from: number, to: number) => agents[i]!.metrics.slice(from, to).map((x) => x.windSpeedMps)
    expect(std(wind(1, 300, 600))).toBeGreaterThan(3 * std(wind(1, 0, 300)))
    expect(std(wind(0, 300, 600))).toBeLessThan(2 * std(wind(0, 0, 300)))
    expect(farm.turbine(1).faults().turbulenceIntensity).toBe(0.25)
  })

  it('loses power to blade erosion (Cp scaled down) below rated', async () => {
    const { clock, agents, farm } = farmOf(2, {
      meanWindSpeedMps: 8,
      turbulenceIntensity: 0.05,
      turbineWindSpread: 0,
      windDrift: { stdMps: 0, timeScaleS: 1 },
    })
    await farm.start()
    farm.turbine(1).injectErosion(0.8)
    await clock.runUntil(T0 + 600_000)
    await farm.close()
    const power = (i: number) => mean(agents[i]!.metrics.slice(120).map((x) => x.generatorPowerKw))
    expect(power(1)).toBeLessThan(0.88 * power(0))
  })

  it('freezes a stuck sensor and raises sensor-stuck, without false alarms on healthy turbines', async () => {
    const { clock, agents, farm } = farmOf(2, { meanWindSpeedMps: 14, turbulenceIntensity: 0.15 })
    await farm.start()
    farm.turbine(0).injectStuckSensor('generatorSpeedRpm', T0 + 60_000)
    await clock.runUntil(T0 + 300_000)
    await farm.close()
    const stuck = agents[0]!.metrics
    const frozen = new Set(stuck.slice(61).map((x) => x.generatorSpeedRpm))
    expect(frozen.size).toBe(1)
    expect(stuck.slice(0, 60).some((x) => x.alarms.includes('sensor-stuck'))).toBe(false)
    const firstAlarm = stuck.findIndex((x) => x.alarms.includes('sensor-stuck'))
    expect(firstAlarm).toBeGreaterThan(60)
    expect(firstAlarm).toBeLessThanOrEqual(61 + STUCK_SENSOR_SAMPLES + 2)
    // Once raised it stays raised while the channel stays frozen.
    expect(stuck.slice(firstAlarm).every((x) => x.alarms.includes('sensor-stuck'))).toBe(true)
    expect(agents[1]!.metrics.some((x) => x.alarms.includes('sensor-stuck'))).toBe(false)
  })

  it('reports over-speed alarms and their edges in high turbulence above rated', async () => {
    const { clock, agents, farm } = farmOf(1, { meanWindSpeedMps: 18, turbulenceIntensity: 0.22 })
    await farm.start()
    await clock.runUntil(T0 + 1_200_000)
    await farm.close()
    const overspeed = agents[0]!.metrics.filter((x) => x.alarms.includes('overspeed'))
    expect(overspeed.length).toBeGreaterThan(0)
    expect(Math.max(...overspeed.map((x) => x.generatorSpeedRpm))).toBeGreaterThan(1250)
    const raised = agents[0]!.events.filter((e) => e.type === 'alarm.raised' && e.data?.alarm === 'overspeed')
    expect(raised.length).toBeGreaterThan(0)
    expect(raised.length).toBeLessThanOrEqual(overspeed.length)
  })

  it('rejects bad options and unknown turbines with coded errors', () => {
    const clock = createVirtualClock({ startTimeMs: T0 })
    const agentFor = () => new Collector()
    expect(() => createFarm({ turbines: 0 }, { clock, agentFor })).toThrow(expect.objectContaining({ code: 'SIM_FARM_INVALID_OPTIONS' }))
    const farm = createFarm({ turbines: 2 }, { clock, agentFor })
    expect(() => farm.turbine('turbine-009')).toThrow(expect.objectContaining({ code: 'SIM_FARM_UNKNOWN_TURBINE' }))
    expect(() => farm.turbine(0).injectErosion(1.5)).toThrow(/cpScale/)
    expect(() => farm.turbine(0).injectStuckSensor('bogus' as never)).toThrow(/sensor channel/)
  })
})
