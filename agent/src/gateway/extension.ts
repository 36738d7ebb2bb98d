import type { AgentExtension, AgentExtensionFactory } from '../extensions.js'
import { createGateway, type Gateway } from './gateway.js'

export interface GatewayExtension extends AgentExtension {
  readonly gateway: Gateway
}

/**
 * The gateway profile as an agent extension: runs when `config.gateway` is set. Everything it sends goes
 * through `host.accept`, i.e. through the agent's residency check, like every other record.
 */
export const createGatewayExtension: AgentExtensionFactory = (host): GatewayExtension | undefined => {
  const config = host.config.gateway
  if (!config) return undefined
  const gateway = createGateway(config, {
    dataDir: host.dataDir,
    logger: host.logger,
    emit: (stream, record) => host.accept(stream, record),
    ...(host.env ? { secrets: { env: host.env } } : {}),
  })
  return { name: 'gateway', gateway, start: () => gateway.start(), close: () => gateway.close() }
}
