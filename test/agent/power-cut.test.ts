import { powerCutSuite } from './power-cut-suite.js'

// The short variant for npm test; faults.soak.test.ts runs 40 cuts.
powerCutSuite(4)
