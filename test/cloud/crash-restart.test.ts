import { crashCases } from './support/crash-cases.js'

// The short variant for `npm test`; crash-restart.soak.test.ts runs the same cases with 20 kills.
crashCases(4)
