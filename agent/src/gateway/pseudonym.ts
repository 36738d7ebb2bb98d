import { createHmac } from 'node:crypto'
import { GatewayError } from './errors.js'

/**
 * Keyed pseudonyms for device ids that leave the site: `p-` + the first 24 hex digits (96 bits) of
 * HMAC-SHA256(key, id). The same id always maps to the same pseudonym under one key, so upstream series stay
 * continuous; without the key (which never leaves the site) the id cannot be recovered or guessed by hashing
 * candidate names. Results are cached: a site has a bounded set of devices.
 */
export function pseudonymiser(key: string): (deviceId: string) => string {
  if (key.length < 16) {
    throw new GatewayError(
      'AGENT_GATEWAY_SECRET',
      `gateway.pseudonymise.key: the key has ${key.length} characters; use at least 16 (e.g. \`openssl rand -hex 32\`)`,
    )
  }
  const cache = new Map<string, string>()
  return (deviceId) => {
    let p = cache.get(deviceId)
    if (p === undefined) {
      p = `p-${createHmac('sha256', key).update(deviceId, 'utf8').digest('hex').slice(0, 24)}`
      if (cache.size < 100_000) cache.set(deviceId, p)
    }
    return p
  }
}
