/**
 * The slice of the agent's `MqttSession` (see the agent API contract) the jobs client needs. Declared here
 * as a port so the client can run over any session: the agent's own, or an MQTT.js adapter in tests.
 */
export interface JobsMqttSession {
  readonly connected: boolean
  /** Resolves on PUBACK for QoS 1. */
  publish(topic: string, payload: string | Buffer, opts?: { qos?: 0 | 1 }): Promise<void>
  /** The subscription is kept across reconnects. */
  subscribe(filter: string, handler: (topic: string, payload: Buffer) => void): Promise<void>
  /** Called after every (re)connect, subscriptions already restored. */
  onConnect(listener: () => void): () => void
}
