import { THING_NAME_VARIABLE } from './constructs/device-policy-document.js'

/**
 * What IoT Core does with a policy for one connection, enough to test ours: substitute the thing-name policy
 * variable, then match resources where `*` matches any run of characters (including `/`) and `?` one character
 * (AWS IoT developer guide, "AWS IoT Core policy elements").
 */
export interface PolicyStatementLike {
  readonly Effect: string
  readonly Action: string | readonly string[]
  readonly Resource: string | readonly string[]
}

const list = (v: string | readonly string[]): readonly string[] => (typeof v === 'string' ? [v] : v)

function resourceRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.')
  return new RegExp(`^${body}$`)
}

export function isAllowed(statements: readonly PolicyStatementLike[], thingName: string, action: string, resource: string): boolean {
  return statements.some(
    (s) =>
      s.Effect === 'Allow' &&
      list(s.Action).includes(action) &&
      list(s.Resource).some((r) => resourceRegExp(r.replaceAll(THING_NAME_VARIABLE, thingName)).test(resource)),
  )
}
