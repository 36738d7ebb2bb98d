// `node --import ./test/support/import-recorder.mjs …` appends every module URL the process resolves through the
// ESM loader to the file named by $EDGETWIN_IMPORT_LOG: how a test sees which packages a command loaded.
import { register } from 'node:module'

if (process.env.EDGETWIN_IMPORT_LOG) {
  register('./import-recorder-hooks.mjs', import.meta.url, { data: { log: process.env.EDGETWIN_IMPORT_LOG } })
}
