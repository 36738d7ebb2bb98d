import { type AttributeValue, DynamoDBClient, type DynamoDBClientConfig, GetItemCommand } from '@aws-sdk/client-dynamodb'
import { createValidator, DeviceKind, PreProvisioningHookEvent, type PreProvisioningHookResult } from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'

const validateEvent = createValidator(PreProvisioningHookEvent)
const validateKind = createValidator(DeviceKind)

export interface PreProvisioningHookOptions {
  /** The allow-list: one item per serial number (`SerialNumber`, string key) with the device's `Kind`. */
  readonly tableName: string
  readonly client?: DynamoDBClientConfig
  readonly logger: Logger
}

/**
 * The pre-provisioning hook of the fleet provisioning template: a device may provision only if its
 * `SerialNumber` is on the allow-list and not marked `Revoked`; its kind comes from the list, not from the device
 * (returned as the `Kind` parameter override, which the template puts in the thing's `kind` attribute that the
 * device policy scopes topics by). Any doubt — a bad event, a failed read — refuses: provisioning is retried by
 * the device, a wrongly admitted device is not undone.
 */
export function createPreProvisioningHook(o: PreProvisioningHookOptions): (event: unknown) => Promise<PreProvisioningHookResult> {
  const dynamo = new DynamoDBClient(o.client ?? {})
  return async (event) => {
    if (!validateEvent.check(event)) {
      o.logger.warn({ errors: validateEvent.errors(event) }, 'pre-provisioning hook: malformed event refused')
      return { allowProvisioning: false }
    }
    const serial = event.parameters.SerialNumber
    if (!serial) {
      o.logger.warn({ certificateId: event.certificateId }, 'pre-provisioning hook: no SerialNumber parameter; refused')
      return { allowProvisioning: false }
    }
    let item: Record<string, AttributeValue> | undefined
    try {
      item = (await dynamo.send(new GetItemCommand({ TableName: o.tableName, Key: { SerialNumber: { S: serial } }, ConsistentRead: true })))
        .Item
    } catch (err) {
      o.logger.error({ err, serial }, 'pre-provisioning hook: allow-list read failed; refused')
      return { allowProvisioning: false }
    }
    const kind = item?.Kind?.S
    if (!item || item.Revoked?.BOOL === true || !validateKind.check(kind)) {
      o.logger.warn({ serial, listed: Boolean(item), kind }, 'pre-provisioning hook: serial not allowed')
      return { allowProvisioning: false }
    }
    o.logger.info({ serial, kind, certificateId: event.certificateId }, 'pre-provisioning hook: allowed')
    return { allowProvisioning: true, parameterOverrides: { Kind: kind } }
  }
}
