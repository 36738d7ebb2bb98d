import { halfOpenSuite } from './half-open-suite.js'

// The short variant; faults.soak.test.ts holds the broker stopped for 60 s.
halfOpenSuite(15_000)
