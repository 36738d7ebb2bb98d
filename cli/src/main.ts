#!/usr/bin/env node
import { buildProgram } from './program.js'

buildProgram()
  .parseAsync(process.argv)
  .catch((err: Error & { code?: string }) => {
    process.stderr.write(`edgetwin: ${err.code ? `[${err.code}] ` : ''}${err.message}\n`)
    process.exitCode = 1
  })
