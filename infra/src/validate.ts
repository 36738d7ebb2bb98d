import { Token } from 'aws-cdk-lib'
import { InfraError } from './errors.js'

// Construction-time checks: each message names the construct and prop, what was received and what is allowed.
// Unresolved tokens are skipped: their value is only known at deploy time.

function received(value: unknown): string {
  return typeof value === 'string' ? `'${value.slice(0, 200)}'` : String(value)
}

export function requireIntegerInRange(where: string, prop: string, value: number, min: number, max: number): void {
  if (Token.isUnresolved(value)) return
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InfraError('INFRA_INVALID_PROP', `${where}: ${prop} must be an integer from ${min} to ${max}; received ${received(value)}`)
  }
}

export function requireNumberInRange(where: string, prop: string, value: number, min: number, max: number): void {
  if (Token.isUnresolved(value)) return
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new InfraError('INFRA_INVALID_PROP', `${where}: ${prop} must be a number from ${min} to ${max}; received ${received(value)}`)
  }
}

export function requirePattern(where: string, prop: string, value: string, pattern: RegExp, allowed: string): void {
  if (Token.isUnresolved(value)) return
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new InfraError('INFRA_INVALID_PROP', `${where}: ${prop} must be ${allowed}; received ${received(value)}`)
  }
}

export function requireOneOf<T extends string>(where: string, prop: string, value: T, allowed: readonly T[]): void {
  if (!allowed.includes(value)) {
    throw new InfraError('INFRA_INVALID_PROP', `${where}: ${prop} must be one of ${allowed.join(', ')}; received ${received(value)}`)
  }
}

export function requireOrdered(where: string, lowProp: string, low: number, highProp: string, high: number): void {
  if (Token.isUnresolved(low) || Token.isUnresolved(high)) return
  if (low > high) {
    throw new InfraError('INFRA_INVALID_PROP', `${where}: ${lowProp} (${low}) must not exceed ${highProp} (${high})`)
  }
}
