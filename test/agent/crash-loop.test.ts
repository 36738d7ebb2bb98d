import { crashLoopSuite } from './crash-loop-suite.js'

// The short variant for npm test; faults.soak.test.ts runs 100 kills per protocol and feed. Here MQTT 5 feeds
// through acceptMany, so both accept paths are killed at any moment in every CI run.
crashLoopSuite(12, 4)
crashLoopSuite(12, 5, 'many')
