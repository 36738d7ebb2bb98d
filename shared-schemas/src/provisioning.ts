import Type, { type Static } from 'typebox'
import { DeviceKind, LogLevel } from './ids.js'

/**
 * AWS IoT fleet provisioning by claim, MQTT API (AWS IoT Core developer guide, "Device provisioning MQTT API"):
 * CreateCertificateFromCsr / CreateKeysAndCertificate, then RegisterThing, JSON payload format. The same topics
 * and payloads are answered by AWS IoT Core and by the local provisioning service.
 */
export const PROVISIONING_TOPICS = {
  createFromCsr: '$aws/certificates/create-from-csr/json',
  createKeys: '$aws/certificates/create/json',
  registerThing: (template: string) => `$aws/provisioning-templates/${template}/provision/json`,
} as const

/** A provisioning template name as AWS accepts it (`[0-9A-Za-z_-]+`, at most 36 characters). */
export const TEMPLATE_NAME_PATTERN = '^[0-9A-Za-z_-]{1,36}$'

export const CreateCertificateFromCsrRequest = Type.Object(
  { certificateSigningRequest: Type.String({ minLength: 100, maxLength: 16_384 }) },
  { $id: 'CreateCertificateFromCsrRequest', additionalProperties: false },
)
export type CreateCertificateFromCsrRequest = Static<typeof CreateCertificateFromCsrRequest>

export const CreateCertificateAccepted = Type.Object(
  {
    certificateId: Type.String({ minLength: 1 }),
    certificatePem: Type.String({ minLength: 1 }),
    certificateOwnershipToken: Type.String({ minLength: 1 }),
    /** Only in CreateKeysAndCertificate's answer: the key AWS generated. */
    privateKey: Type.Optional(Type.String({ minLength: 1 })),
  },
  { $id: 'CreateCertificateAccepted', additionalProperties: true },
)
export type CreateCertificateAccepted = Static<typeof CreateCertificateAccepted>

export const RegisterThingRequest = Type.Object(
  {
    certificateOwnershipToken: Type.String({ minLength: 1, maxLength: 4096 }),
    parameters: Type.Optional(Type.Record(Type.String({ maxLength: 128 }), Type.String({ maxLength: 2048 }))),
  },
  { $id: 'RegisterThingRequest', additionalProperties: false },
)
export type RegisterThingRequest = Static<typeof RegisterThingRequest>

export const RegisterThingAccepted = Type.Object(
  {
    thingName: Type.String({ minLength: 1, maxLength: 128 }),
    deviceConfiguration: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { $id: 'RegisterThingAccepted', additionalProperties: true },
)
export type RegisterThingAccepted = Static<typeof RegisterThingAccepted>

export const ProvisioningRejected = Type.Object(
  {
    statusCode: Type.Integer(),
    errorCode: Type.String(),
    errorMessage: Type.String(),
  },
  { $id: 'ProvisioningRejected', additionalProperties: true },
)
export type ProvisioningRejected = Static<typeof ProvisioningRejected>

/**
 * A local provisioning template: what RegisterThing does for a device that presents a claim. `thingName` may use
 * `{Name}` placeholders for request parameters (e.g. `turbine-{SerialNumber}`); the result must be a valid thing
 * name. `allowedSerials` is the local counterpart of AWS's pre-provisioning hook allow-list.
 */
export const LocalProvisioningTemplate = Type.Object(
  {
    name: Type.String({ pattern: TEMPLATE_NAME_PATTERN }),
    thingName: Type.String({ minLength: 1, maxLength: 128, pattern: '^([a-zA-Z0-9:_-]|\\{[A-Za-z][A-Za-z0-9]*\\})+$' }),
    kind: DeviceKind,
    /** Serial numbers (parameter `SerialNumber`) allowed to provision; absent: any. */
    allowedSerials: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 1_000_000, uniqueItems: true })),
    /** A serial already provisioned may provision again (a replaced device keeps its thing name); default: refused. */
    allowReprovisioning: Type.Boolean({ default: false }),
    /** Days the device certificates are valid. */
    certificateDays: Type.Integer({ minimum: 1, maximum: 3650, default: 825 }),
  },
  { $id: 'LocalProvisioningTemplate', additionalProperties: false },
)
export type LocalProvisioningTemplate = Static<typeof LocalProvisioningTemplate>

/**
 * What AWS IoT passes a fleet provisioning pre-provisioning hook (AWS IoT developer guide, "Pre-provisioning
 * hooks", payload version 2020-04-01).
 */
export const PreProvisioningHookEvent = Type.Object(
  {
    claimCertificateId: Type.String({ minLength: 1 }),
    certificateId: Type.String({ minLength: 1 }),
    certificatePem: Type.Optional(Type.String()),
    templateArn: Type.String({ minLength: 1 }),
    clientId: Type.String(),
    parameters: Type.Record(Type.String(), Type.String()),
  },
  { $id: 'PreProvisioningHookEvent', additionalProperties: true },
)
export type PreProvisioningHookEvent = Static<typeof PreProvisioningHookEvent>

/** The hook's answer: provision or not, and parameters that replace the device's (e.g. the kind on the allow-list). */
export interface PreProvisioningHookResult {
  readonly allowProvisioning: boolean
  readonly parameterOverrides?: Readonly<Record<string, string>>
}

/** The pre-provisioning hook Lambda's environment: the DynamoDB allow-list of serial numbers. */
export const PreProvisioningHookLambdaEnv = Type.Object(
  {
    ALLOW_LIST_TABLE_NAME: Type.String({ minLength: 3, maxLength: 255 }),
    LOG_LEVEL: LogLevel,
    AWS_ENDPOINT_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
    AWS_ENDPOINT_URL_DYNAMODB: Type.Optional(Type.String({ pattern: '^https?://' })),
  },
  { $id: 'PreProvisioningHookLambdaEnv', additionalProperties: true },
)
export type PreProvisioningHookLambdaEnv = Static<typeof PreProvisioningHookLambdaEnv>
