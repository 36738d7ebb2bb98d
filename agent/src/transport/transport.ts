import type { AgentConfig } from '@edgetwin/shared-schemas'
import type { ConnectionState } from '../mqtt/session.js'
import { MqttConnection, type MqttSession, type MqttSessionOptions } from '../mqtt/session.js'
import { AwsIotSdkTransport } from './aws-iot-sdk-transport.js'

/**
 * The port the agent's MQTT session is: what the publisher, the jobs client, health and close need. Two adapters:
 * MQTT.js (`MqttConnection`, the default) and the AWS IoT Device SDK v2's MQTT 5 client (`AwsIotSdkTransport`).
 * Both pass test/agent/transport-contract.test.ts.
 */
export interface AgentTransport extends MqttSession {
  readonly state: ConnectionState
  /** Reconnections after the first connection of this process. */
  readonly reconnects: number
  /** Broker's MQTT 5 Receive Maximum, if it announced one. */
  readonly receiveMaximum: number | undefined
  /** Broker's MQTT 5 Maximum Packet Size, if it announced one. */
  readonly maximumPacketSize: number | undefined
  readonly protocolVersion: 4 | 5
  start(): void
  /** After every loss of a connection that was up; publishes awaiting their PUBACK were rejected first. */
  onDisconnect(listener: () => void): () => void
  /** The coming drop has a known cause: the next reconnect comes promptly (see ReconnectSchedule.explained). */
  explainDrop(): void
  /** Drops the connection without a normal DISCONNECT (the broker publishes the Last Will); then reconnects. */
  dropConnection(): void
  /** Disconnects cleanly (the broker discards the Last Will). */
  close(): Promise<void>
}

/**
 * The adapter `broker.transport` names. The SDK adapter loads aws-iot-device-sdk-v2 (and aws-crt's native module)
 * only when constructed, so an agent on MQTT.js never loads it and runs where the optional dependency is absent.
 */
export function createTransport(
  broker: AgentConfig['broker'],
  options: MqttSessionOptions,
  env: NodeJS.ProcessEnv = process.env,
): AgentTransport {
  return broker.transport === 'aws-iot-sdk' ? new AwsIotSdkTransport(broker, options, env) : new MqttConnection(options)
}
