import { crashLoopSuite } from './crash-loop-suite.js'
import { halfOpenSuite } from './half-open-suite.js'
import { powerCutSuite } from './power-cut-suite.js'
import { refusalSuite } from './refusal-suite.js'

// `npm run soak`: the long variants of the agent's fault tests (issue #14.8).
crashLoopSuite(100, 4)
crashLoopSuite(100, 5)
crashLoopSuite(100, 5, 'many')
halfOpenSuite(60_000)
refusalSuite(4, 120_000)
refusalSuite(5, 120_000)
powerCutSuite(40)
