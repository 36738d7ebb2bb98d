import { buildConsoleAssets, DEFAULT_ASSETS_DIR } from '../src/assets.js'

await buildConsoleAssets()
process.stdout.write(`console bundle written to ${DEFAULT_ASSETS_DIR}\n`)
