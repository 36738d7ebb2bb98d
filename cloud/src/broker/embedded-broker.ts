import { once } from 'node:events'
import { type AddressInfo, createServer, type Server } from 'node:net'
import { Aedes } from 'aedes'
import type { Logger } from 'pino'
import { CloudError } from '../errors.js'

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

/** A failed `listen` as a coded error that says what to do (`CLOUD_PORT_IN_USE` for EADDRINUSE). */
function listenError(err: NodeJS.ErrnoException, host: string, port: number): CloudError {
  if (err.code === 'EADDRINUSE') {
    return new CloudError(
      'CLOUD_PORT_IN_USE',
      `port ${port} is in use on ${host} (another broker?): choose a free port, or port 0 for any free one`,
      { cause: err },
    )
  }
  return new CloudError('CLOUD_BROKER_LISTEN_FAILED', `the embedded broker cannot listen on ${host}:${port}: ${err.message}`, {
    cause: err,
  })
}

/**
 * Starts the embedded broker. A failed start (port taken, address not available) rejects with a CloudError
 * and leaves nothing running, so a command that fails to start exits.
 */
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
  const requestedPort = options.port ?? 1883
  try {
    server.listen(requestedPort, host)
    await once(server, 'listening')
  } catch (err) {
    // aedes keeps timers (heartbeat, will messages) alive: close it, or the process never exits after a failed start.
    await new Promise<void>((resolve) => aedes.close(() => resolve()))
    throw listenError(err as NodeJS.ErrnoException, host, requestedPort)
  }
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
