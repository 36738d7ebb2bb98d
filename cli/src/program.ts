import { Command, Help } from 'commander'

/** Adds one area's subcommands to the root command. */
type Register = (program: Command) => void

/**
 * A top-level command: its one-line summary for `edgetwin --help`, and how to load the module that defines it.
 * The module (and with it the AWS SDK, Fastify, better-sqlite3, aedes …) is imported only when the command is
 * the one being run or asked about, so `edgetwin --help` loads commander and nothing else.
 */
interface CommandEntry {
  readonly name: string
  readonly summary: string
  readonly load: () => Promise<readonly Register[]>
}

/** Every top-level command, in the order `--help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'demo',
    summary: 'the embedded default end to end: broker, cloud, a wind farm and a fleet (what `npm start` runs)',
    load: async () => [(await import('./commands/demo.js')).registerDemoCommand],
  },
  {
    name: 'agent',
    summary: 'the device agent: durable store-and-forward over MQTT',
    load: async () => [(await import('./commands/agent.js')).registerAgentCommands],
  },
  {
    name: 'broker',
    summary: 'the embedded MQTT 3.1.1 broker (aedes)',
    load: async () => [(await import('./commands/broker.js')).registerBrokerCommand],
  },
  {
    name: 'cloud',
    summary: 'the cloud side: router, sinks, fleet consumers, jobs service, twin loop; dead letters',
    load: async () => [(await import('./commands/cloud.js')).registerCloudCommands],
  },
  {
    name: 'fleet',
    summary: 'vehicle fleets: maintenance records and zone reports (days in zone, replacement)',
    load: async () => [(await import('./commands/fleet.js')).registerFleetCommands],
  },
  {
    name: 'twin',
    summary: 'the turbine digital-twin loop: decisions with their provenance',
    load: async () => [(await import('./commands/twin.js')).registerTwinCommands],
  },
  {
    name: 'jobs',
    summary: 'controller updates as AWS IoT Jobs: serve, create, list, describe',
    load: async () => [(await import('./commands/jobs.js')).registerJobsCommands],
  },
  {
    name: 'dispatch',
    summary: 'the OpenFAST simulation dispatch server (REST API and docs page)',
    load: async () => [(await import('./commands/dispatch.js')).registerDispatchCommands],
  },
  {
    name: 'model',
    summary: 'the reduced-order NREL 5-MW turbine model: run it, write OpenFAST .out',
    load: async () => [(await import('./commands/model.js')).registerModelCommands],
  },
  {
    name: 'provisioning',
    summary: 'local fleet provisioning by claim: a CA, Mosquitto mTLS with per-device ACLs, the provisioning service',
    load: async () => [(await import('./commands/provisioning.js')).registerProvisioningCommands],
  },
  {
    name: 'sim',
    summary: 'simulators that feed real agents: a vehicle fleet, a wind farm',
    load: async () => {
      const [fleet, farm] = await Promise.all([import('./commands/sim-fleet.js'), import('./commands/sim-farm.js')])
      return [fleet.registerSimFleetCommand, farm.registerSimFarmCommand]
    },
  },
]

/** The top-level command `args` (argv without node and the script) ask for: the first operand, or the one after `help`. */
export function requestedCommand(args: readonly string[]): string | undefined {
  const operands = args.filter((a) => !a.startsWith('-'))
  return operands[0] === 'help' ? operands[1] : operands[0]
}

/**
 * The root `edgetwin` command for `args`: the requested command's module is loaded and registers itself in full;
 * the others appear in `--help` by their summary only. `loadAll` loads every module (tests, documentation).
 */
export async function buildProgram(args: readonly string[], options: { loadAll?: boolean } = {}): Promise<Command> {
  const program = new Command('edgetwin')
    .description('Edge agent and cloud backend for fleets of vehicles, wind turbines and on-premises gateways')
    .showHelpAfterError()
    // Subcommands inherit this: a required option says so in `--help`, before the user finds out by error.
    .configureHelp({
      optionDescription: (option) => {
        const text = new Help().optionDescription(option)
        return option.mandatory ? `${text} (required)` : text
      },
    })
  const wanted = requestedCommand(args)
  for (const entry of COMMANDS) {
    if (options.loadAll || entry.name === wanted) {
      for (const register of await entry.load()) register(program)
      program.commands.find((c) => c.name() === entry.name)?.summary(entry.summary)
    } else {
      program.command(entry.name).summary(entry.summary)
    }
  }
  return program
}
