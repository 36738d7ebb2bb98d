import { join } from 'node:path'
import { type MosquittoHandle, startMosquitto } from '../support/mosquitto.js'
import { freePort } from '../support/ports.js'
import { makeTestPki } from './tls-ca.js'

export interface TlsBroker {
  /** Plain listener (observers, collectors) is `broker.url`; the mutual-TLS one is `tlsUrl`. */
  readonly broker: MosquittoHandle
  readonly tlsUrl: string
  /** The agent's `broker.tls` for the test client certificate (CN turbine-1). */
  readonly clientTls: { caFile: string; certFile: string; keyFile: string }
}

/**
 * Makes the test PKI in `pkiDir` and starts Mosquitto with a second listener that demands a client certificate
 * from the test CA (server certificate for 127.0.0.1 / localhost).
 */
export async function startTlsMosquitto(pkiDir: string, options: { persistence?: boolean } = {}): Promise<TlsBroker> {
  makeTestPki(pkiDir)
  const port = await freePort()
  const broker = await startMosquitto({
    ...options,
    extraConfig: [
      `listener ${port} 127.0.0.1`,
      `cafile ${join(pkiDir, 'ca.crt')}`,
      `certfile ${join(pkiDir, 'server.crt')}`,
      `keyfile ${join(pkiDir, 'server.key')}`,
      'require_certificate true',
    ].join('\n'),
  })
  return {
    broker,
    tlsUrl: `mqtts://127.0.0.1:${port}`,
    clientTls: { caFile: join(pkiDir, 'ca.crt'), certFile: join(pkiDir, 'client.crt'), keyFile: join(pkiDir, 'client.key') },
  }
}
