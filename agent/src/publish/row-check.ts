import { recordValidators, type StreamName } from '@edgetwin/shared-schemas'

/**
 * Why a stored row can no longer be sent, or undefined when it is intact. A file damaged outside SQLite's
 * control (truncated, a bad sector, an edit) can pass `integrity_check` yet hold a record that is not valid JSON
 * or not a valid record of its stream any more; sent as it is, it would make the cloud refuse its whole batch.
 */
export function damagedRowReason(stream: StreamName, data: string): string | undefined {
  let value: unknown
  try {
    value = JSON.parse(data)
  } catch (err) {
    return `damaged row: not valid JSON (${(err as Error).message.slice(0, 200)})`
  }
  if (!recordValidators[stream].check(value)) return `damaged row: no longer a valid ${stream} record`
  return undefined
}
