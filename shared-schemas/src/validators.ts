import { AgentConfig } from './config-agent.js'
import { CloudConfig } from './config-cloud.js'
import { ControllerParameterPatch, ControllerParameters } from './controller.js'
import { BatchEnvelope } from './envelope.js'
import type { StreamName } from './ids.js'
import { ControllerUpdateJobDocument } from './jobs.js'
import { LocationDevicePositionEvent, TransformedPositionEvent } from './position-event.js'
import { SimulationRequest, SimulationStatus } from './simulation.js'
import { DeviceEvent, GatewayAggregate, HealthReport, TurbineSample, VehiclePosition } from './telemetry.js'
import { TwinDecisionRecord } from './twin-decision.js'
import { createValidator } from './validate.js'

/** Compiled validators, one per contract. Compiled once at import. */
export const validators = {
  VehiclePosition: createValidator(VehiclePosition),
  TurbineSample: createValidator(TurbineSample),
  GatewayAggregate: createValidator(GatewayAggregate),
  DeviceEvent: createValidator(DeviceEvent),
  HealthReport: createValidator(HealthReport),
  BatchEnvelope: createValidator(BatchEnvelope),
  LocationDevicePositionEvent: createValidator(LocationDevicePositionEvent),
  TransformedPositionEvent: createValidator(TransformedPositionEvent),
  ControllerParameters: createValidator(ControllerParameters),
  ControllerParameterPatch: createValidator(ControllerParameterPatch, 'ControllerParameterPatch'),
  ControllerUpdateJobDocument: createValidator(ControllerUpdateJobDocument),
  SimulationRequest: createValidator(SimulationRequest),
  SimulationStatus: createValidator(SimulationStatus),
  AgentConfig: createValidator(AgentConfig),
  CloudConfig: createValidator(CloudConfig),
  TwinDecisionRecord: createValidator(TwinDecisionRecord),
} as const

/** The validator of the records each stream carries. */
export const recordValidators = {
  position: validators.VehiclePosition,
  metrics: validators.TurbineSample,
  events: validators.DeviceEvent,
  aggregate: validators.GatewayAggregate,
  health: validators.HealthReport,
} as const satisfies Record<StreamName, unknown>
