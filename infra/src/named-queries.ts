import { InfraError } from './errors.js'

/** One Athena named query, as the cloud package's `athenaNamedQueries(zone, options)` returns them. */
export interface NamedQuerySpec {
  readonly name: string
  readonly description: string
  readonly queryString: string
}

/** Checks a query list against the AWS::Athena::NamedQuery limits (Name 1-128, Description 1-1024, QueryString 1-262,144). */
export function validateNamedQueries(input: unknown, source: string): NamedQuerySpec[] {
  if (!Array.isArray(input)) {
    throw new InfraError(
      'INFRA_QUERY_INVALID',
      `${source}: expected an array of { name, description, queryString }; received ${typeof input}`,
    )
  }
  const seen = new Set<string>()
  return input.map((q, i) => {
    const { name, description, queryString } = (q ?? {}) as Record<string, unknown>
    const check = (field: string, value: unknown, max: number) => {
      if (typeof value !== 'string' || value.length < 1 || value.length > max) {
        const got = typeof value === 'string' ? `${value.length} characters` : typeof value
        throw new InfraError(
          'INFRA_QUERY_INVALID',
          `${source}: query ${i} ${field} must be a string of 1-${max} characters; received ${got}`,
        )
      }
    }
    check('name', name, 128)
    check('description', description, 1024)
    check('queryString', queryString, 262_144)
    if (seen.has(name as string))
      throw new InfraError('INFRA_QUERY_INVALID', `${source}: query name '${name}' appears twice; names must be unique`)
    seen.add(name as string)
    return { name: name as string, description: description as string, queryString: queryString as string }
  })
}
