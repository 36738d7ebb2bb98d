import { Command } from 'commander'
import { registerAgentCommands } from './commands/agent.js'
import { registerBrokerCommand } from './commands/broker.js'
import { registerCloudCommands } from './commands/cloud.js'
import { registerDemoCommand } from './commands/demo.js'
import { registerDispatchCommands } from './commands/dispatch.js'
import { registerFleetCommands } from './commands/fleet.js'
import { registerJobsCommands } from './commands/jobs.js'
import { registerModelCommands } from './commands/model.js'
import { registerSimFarmCommand } from './commands/sim-farm.js'
import { registerSimFleetCommand } from './commands/sim-fleet.js'
import { registerTwinCommands } from './commands/twin.js'

/** The root `edgetwin` command; each area registers its subcommands here. */
export function buildProgram(): Command {
  const program = new Command('edgetwin')
    .description('Edge agent and cloud backend for fleets of vehicles, wind turbines and on-premises gateways')
    .showHelpAfterError()
  registerBrokerCommand(program)
  registerCloudCommands(program)
  registerDemoCommand(program)
  registerDispatchCommands(program)
  registerJobsCommands(program)
  registerTwinCommands(program)
  registerModelCommands(program)
  registerFleetCommands(program)
  registerSimFleetCommand(program)
  registerSimFarmCommand(program)
  registerAgentCommands(program)
  return program
}
