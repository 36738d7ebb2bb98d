import type { ControllerParameters, DeviceEvent, TurbineSample } from '@edgetwin/shared-schemas'

/** The read side of a turbine agent's controller parameter store (`agent.controller`, agent-api.md). */
export interface ControllerView {
  current(): { version: number; parameters: ControllerParameters }
}

/**
 * What the farm needs of an agent: the real `@edgetwin/agent` Agent satisfies it; tests may pass a collector.
 * `controller` is read on every sample, so a store that appears after `start()` (the jobs extension) is seen.
 */
export interface AgentLike {
  accept(stream: 'metrics' | 'events', record: TurbineSample | DeviceEvent): Promise<unknown>
  readonly controller?: ControllerView | undefined
  start?(): Promise<void>
  close?(): Promise<void>
}
