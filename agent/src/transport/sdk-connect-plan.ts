import { accessSync, constants } from 'node:fs'
import type { AgentConfig } from '@edgetwin/shared-schemas'
import { AgentError } from '../errors.js'
import { loadTlsMaterial } from '../mqtt/tls.js'

/** The AWS IoT Device SDK v2 builder an `aws-iot-sdk` transport uses (`plain`: no TLS, a local broker only). */
export type SdkBuilderName =
  | 'newDirectMqttBuilderWithMtlsFromPath'
  | 'newDirectMqttBuilderWithMtlsFromPkcs11'
  | 'newWebsocketMqttBuilderWithSigv4Auth'
  | 'newDirectMqttBuilderWithCustomAuth'
  | 'plain'

/** What the SDK transport hands the builder: the config checked and its secrets read from the environment. */
export interface SdkConnectPlan {
  readonly builder: SdkBuilderName
  readonly hostName: string
  readonly port: number
  readonly caFile?: string
  readonly certFile?: string
  readonly keyFile?: string
  readonly pkcs11?: {
    readonly libraryFile: string
    readonly pin: string | null
    readonly slotId?: number
    readonly tokenLabel?: string
    readonly keyLabel?: string
  }
  readonly region?: string
  readonly customAuth?: {
    readonly authorizerName: string
    readonly username?: string
    readonly password?: string
    readonly tokenKeyName?: string
    readonly tokenValue?: string
    readonly tokenSignature?: string
  }
  /** Plain broker credentials (mtls and plain only; a custom authorizer carries its own). */
  readonly username?: string
  readonly password?: string
}

const DEFAULT_PORT: Record<string, number> = { 'mqtt:': 1883, 'tcp:': 1883, 'mqtts:': 8883, 'tls:': 8883, 'wss:': 443 }

function invalid(message: string): AgentError {
  return new AgentError('AGENT_INVALID_CONFIG', message)
}

function readable(path: string, field: string): void {
  try {
    accessSync(path, constants.R_OK)
  } catch (err) {
    throw new AgentError('AGENT_TLS_FILE', `cannot read ${field} ${path}: ${(err as Error).message}`, { cause: err })
  }
}

function secret(env: NodeJS.ProcessEnv, name: string, field: string): string {
  const value = env[name]
  if (value === undefined) throw new AgentError('AGENT_SECRET_MISSING', `environment variable ${name} (${field}) is not set`)
  return value
}

/**
 * Checks a broker config for the SDK transport and says which builder serves it. Pure apart from reading the
 * environment and checking the TLS files (mode 0600 for a key file, as the MQTT.js transport does).
 */
export function planSdkConnection(broker: AgentConfig['broker'], env: NodeJS.ProcessEnv, password: string | undefined): SdkConnectPlan {
  if (broker.protocolVersion !== 5) {
    throw invalid(`broker.protocolVersion is ${broker.protocolVersion}; broker.transport 'aws-iot-sdk' speaks MQTT 5 only (allowed: 5)`)
  }
  const url = new URL(broker.url)
  const port = url.port ? Number(url.port) : DEFAULT_PORT[url.protocol]
  if (port === undefined) {
    throw invalid(`broker.url scheme ${url.protocol} is not served by broker.transport 'aws-iot-sdk' (allowed: mqtt:, mqtts:, wss:)`)
  }
  const hostName = url.hostname
  const sdk = broker.awsIotSdk ?? { auth: 'mtls' as const }
  const tls = broker.tls
  if (tls?.serverName !== undefined) {
    throw invalid(
      `broker.tls.serverName (${tls.serverName}) is not supported by broker.transport 'aws-iot-sdk': the URL's host is the name checked`,
    )
  }
  const secure = url.protocol !== 'mqtt:' && url.protocol !== 'tcp:'
  const wantsScheme =
    sdk.auth === 'websocket-sigv4' ? ['wss:'] : sdk.auth === 'mtls' ? ['mqtt:', 'tcp:', 'mqtts:', 'tls:'] : ['mqtts:', 'tls:']
  if (!wantsScheme.includes(url.protocol)) {
    throw invalid(`broker.url scheme ${url.protocol} does not fit broker.awsIotSdk.auth '${sdk.auth}' (allowed: ${wantsScheme.join(', ')})`)
  }
  const common = { hostName, port, ...(tls?.caFile ? { caFile: tls.caFile } : {}) }
  const credentials = {
    ...(broker.username !== undefined ? { username: broker.username } : {}),
    ...(password !== undefined ? { password } : {}),
  }
  switch (sdk.auth) {
    case 'mtls': {
      if (!secure) return { builder: 'plain', hostName, port, ...credentials }
      if (!tls?.certFile || !tls.keyFile) {
        throw invalid("broker.awsIotSdk.auth 'mtls' needs broker.tls.certFile and broker.tls.keyFile")
      }
      loadTlsMaterial(tls)
      return { builder: 'newDirectMqttBuilderWithMtlsFromPath', ...common, certFile: tls.certFile, keyFile: tls.keyFile, ...credentials }
    }
    case 'pkcs11': {
      const p = sdk.pkcs11
      if (!p) throw invalid("broker.awsIotSdk.auth 'pkcs11' needs broker.awsIotSdk.pkcs11 (libraryFile, and slotId or tokenLabel)")
      if (!tls?.certFile) throw invalid("broker.awsIotSdk.auth 'pkcs11' needs broker.tls.certFile (the key stays on the token)")
      if (tls.keyFile)
        throw invalid(`broker.tls.keyFile (${tls.keyFile}) must be absent with broker.awsIotSdk.auth 'pkcs11': the key is on the token`)
      readable(tls.caFile, 'broker.tls.caFile')
      readable(tls.certFile, 'broker.tls.certFile')
      return {
        builder: 'newDirectMqttBuilderWithMtlsFromPkcs11',
        ...common,
        certFile: tls.certFile,
        pkcs11: {
          libraryFile: p.libraryFile,
          pin: p.pinEnv ? secret(env, p.pinEnv, 'broker.awsIotSdk.pkcs11.pinEnv') : null,
          ...(p.slotId !== undefined ? { slotId: p.slotId } : {}),
          ...(p.tokenLabel !== undefined ? { tokenLabel: p.tokenLabel } : {}),
          ...(p.keyLabel !== undefined ? { keyLabel: p.keyLabel } : {}),
        },
      }
    }
    case 'websocket-sigv4':
      if (tls?.certFile || tls?.keyFile) {
        throw invalid("broker.tls.certFile/keyFile must be absent with broker.awsIotSdk.auth 'websocket-sigv4' (SigV4 signs the upgrade)")
      }
      return { builder: 'newWebsocketMqttBuilderWithSigv4Auth', ...common, ...(sdk.region ? { region: sdk.region } : {}) }
    case 'custom-authorizer': {
      const a = sdk.customAuthorizer
      if (!a) throw invalid("broker.awsIotSdk.auth 'custom-authorizer' needs broker.awsIotSdk.customAuthorizer.name")
      const tokenParts = [a.tokenKeyName, a.tokenValueEnv, a.tokenSignatureEnv].filter((x) => x !== undefined).length
      if (tokenParts !== 0 && tokenParts !== 3) {
        throw invalid('broker.awsIotSdk.customAuthorizer: a signed token needs tokenKeyName, tokenValueEnv and tokenSignatureEnv together')
      }
      return {
        builder: 'newDirectMqttBuilderWithCustomAuth',
        ...common,
        customAuth: {
          authorizerName: a.name,
          ...credentials,
          ...(a.tokenKeyName ? { tokenKeyName: a.tokenKeyName } : {}),
          ...(a.tokenValueEnv ? { tokenValue: secret(env, a.tokenValueEnv, 'broker.awsIotSdk.customAuthorizer.tokenValueEnv') } : {}),
          ...(a.tokenSignatureEnv
            ? { tokenSignature: secret(env, a.tokenSignatureEnv, 'broker.awsIotSdk.customAuthorizer.tokenSignatureEnv') }
            : {}),
        },
      }
    }
  }
}
