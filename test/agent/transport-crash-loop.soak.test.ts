import { transportCrashLoop } from './transport-crash-suite.js'

transportCrashLoop('mqttjs', 100)
transportCrashLoop('aws-iot-sdk', 100)
