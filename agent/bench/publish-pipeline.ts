import type { MqttClient } from 'mqtt'
import type { OutboxRow } from '../src/outbox/outbox.js'
import { type BatchIdentity, encodeBatch } from '../src/publish/envelope-batch.js'

/**
 * Publishes batches as the agent does, for the ceilings: up to 100 unacknowledged at QoS 1, each spliced into its
 * envelope and gzipped on the libuv pool, the PUBLISHes in read order (each waits for the gzips started before it).
 * `next()` gives the next batch's rows (none when done); `acked(rows)` runs at each PUBACK. Resolves with the
 * messages and wire bytes once every batch is acknowledged.
 */
export function publishPipelined(
  client: MqttClient,
  topic: string,
  id: BatchIdentity,
  next: () => OutboxRow[],
  acked: (rows: OutboxRow[]) => void = () => {},
): Promise<{ messages: number; bytes: number }> {
  let messages = 0
  let bytes = 0
  return new Promise((resolve, reject) => {
    let inflight = 0
    let exhausted = false
    let chain = Promise.resolve()
    const pump = () => {
      while (inflight < 100 && !exhausted) {
        const batch = next()
        if (batch.length === 0) {
          exhausted = true
          break
        }
        inflight++
        const encoded = encodeBatch(id, batch, 'gzip')
        chain = chain.then(() =>
          encoded.then((payload) => {
            bytes += payload.length
            messages++
            client.publish(topic, payload, { qos: 1 }, (err) => {
              if (err) return reject(err)
              inflight--
              acked(batch)
              if (exhausted && inflight === 0) resolve({ messages, bytes })
              else pump()
            })
          }, reject),
        )
      }
      if (exhausted && inflight === 0) resolve({ messages, bytes })
    }
    pump()
  })
}
