#!/usr/bin/env node
import { describeError } from './errors.js'
import { buildProgram } from './program.js'

const args = process.argv.slice(2)
buildProgram(args)
  .then((program) => program.parseAsync(process.argv))
  .catch((err: unknown) => {
    process.stderr.write(`edgetwin: ${describeError(err)}\n`)
    process.exitCode = 1
  })
