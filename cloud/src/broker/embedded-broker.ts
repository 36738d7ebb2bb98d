import { once } from 'node:events'
import { type AddressInfo, createServer, type Server } from 'node:net'
import { Aedes } from 'aedes'
import type { Logger } from 'pino'

export interface EmbeddedBrokerOptions {
  /** @default '127.0.0.1' — loopback only unless asked otherwise. */
  readonly host?: string
  /** @default 1883; 0 picks a free port. */
  readonly port?: number
  readonly logger?: Logger
}

/** The embedded MQTT 3.1.1 broker (aedes) of the local default. */
export interface EmbeddedBroker {
  readonly host: string
  readonly port: number
  readonly url: string
  readonly aedes: Aedes
  close(): Promise<void>
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1'
  const aedes = await Aedes.createBroker()
  const log = options.logger
  if (log) {
    aedes.on('client', (client) => log.debug({ clientId: client.id }, 'client connected'))
    aedes.on('clientDisconnect', (client) => log.debug({ clientId: client.id }, 'client disconnected'))
    aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err }, 'client error'))
  }
  const server: Server = createServer(aedes.handle)
  server.listen(options.port ?? 1883, host)
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  return {
    host,
    port,
    url: `mqtt://${host}:${port}`,
    aedes,
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
      server.close()
      // Sockets still open keep close() from finishing; aedes.close() has already ended every client.
    },
  }
}
