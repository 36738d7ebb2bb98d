import { transportCrashLoop } from './transport-crash-suite.js'

// The short variant for npm test; transport-crash-loop.soak.test.ts runs 100 kills per transport.
transportCrashLoop('mqttjs', 8)
transportCrashLoop('aws-iot-sdk', 8)
