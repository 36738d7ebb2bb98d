import { THING_KIND_VARIABLE, THING_NAME_VARIABLE } from './constructs/device-policy-document.js'

/**
 * What IoT Core does with a policy for one connection, enough to test ours: substitute the thing-name and `kind`
 * attribute policy variables (left in place when the thing has no such attribute), then match resources where `*` matches any run of characters (including `/`) and `?` one character
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

/** The connected thing: its name, and its attributes as `aws iot create-thing --attribute-payload` set them. */
export interface ConnectedThing {
  readonly name: string
  readonly attributes?: Readonly<Record<string, string>>
}

export function isAllowed(statements: readonly PolicyStatementLike[], thing: ConnectedThing, action: string, resource: string): boolean {
  const kind = thing.attributes?.['kind']
  const substitute = (r: string) => {
    const named = r.replaceAll(THING_NAME_VARIABLE, thing.name)
    return kind === undefined ? named : named.replaceAll(THING_KIND_VARIABLE, kind)
  }
  return statements.some(
    (s) =>
      s.Effect === 'Allow' && list(s.Action).includes(action) && list(s.Resource).some((r) => resourceRegExp(substitute(r)).test(resource)),
  )
}
