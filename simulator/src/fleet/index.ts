export { expandFleet, loadFleetFile, type VehicleSpec } from './fleet-file.js'
export { type FleetProgress, type FleetSimulationOptions, type FleetSimulationResult, runFleetSimulation } from './fleet-simulator.js'
export { GroundTruth, type TruePosition } from './ground-truth.js'
export { type DayPlan, type JourneyOptions, planDay, positionAt, sampleTimes } from './journey.js'
