import { refusalSuite } from './refusal-suite.js'

// The short variant (20 s of refusal); refusal.soak.test.ts runs the 120 s.
refusalSuite(4, 20_000)
refusalSuite(5, 20_000)
