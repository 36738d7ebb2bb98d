import { crashLoopSuite } from './crash-loop-suite.js'

// The short variant for npm test; faults.soak.test.ts runs 100 kills per protocol.
crashLoopSuite(12, 4)
crashLoopSuite(12, 5)
