import { InvalidArgumentError } from 'commander'

export function parsePort(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`port must be an integer 0-65535, got '${value}'`)
  return n
}

export function parsePositiveInt(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`must be a positive integer, got '${value}'`)
  return n
}

export function parsePositiveNumber(value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`must be a positive number, got '${value}'`)
  return n
}
