// A turbine's jobs half in its own process, so a test can SIGKILL it mid-job. argv: brokerUrl thingName dir
import { startTestTurbine } from './turbine.js'

const [brokerUrl, thingName, dir] = process.argv.slice(2) as [string, string, string]
const turbine = await startTestTurbine(brokerUrl, thingName, { healthGate: { windowS: 20, minSamples: 2 } }, { dir })
turbine.store.onChange((s) => process.stdout.write(`changed ${s.version}\n`))
turbine.telemetry.feed(50)
process.stdout.write('ready\n')
