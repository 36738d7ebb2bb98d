/**
 * Entry point of the single-file device agent (`dist/edgetwin-agent.mjs`, built by `bundle.ts`): the CLI's
 * `agent run` and `agent provision` commands and nothing else, with the same arguments, so the systemd unit and
 * `edgetwin agent …` take the same command line. The commands are the CLI's own (one definition, not a copy).
 */
import { Command } from 'commander'
import { registerAgentCommands } from '../../cli/src/commands/agent.js'
import { describeError } from '../../cli/src/errors.js'

const program = new Command('edgetwin-agent').description('the edgetwin device agent (single-file build)').showHelpAfterError()
registerAgentCommands(program)
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`edgetwin-agent: ${describeError(err)}\n`)
  process.exitCode = 1
})
