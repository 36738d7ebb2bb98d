import { crashCases } from './support/crash-cases.js'

// `npm run soak`: the full 20 SIGTERM/SIGKILL restarts per case.
crashCases(20)
