import { isAbsolute, relative, resolve, sep } from 'node:path'
import { DispatchError } from './errors.js'

/**
 * One path segment of an uploaded deck file: letters, digits, `.`, `_`, `-`, not starting with a dot (so never
 * `.`, `..` or a hidden file). Percent signs, backslashes, colons, NUL and every other byte are refused rather
 * than decoded or normalised: a name is either plainly safe or rejected.
 */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/
const MAX_PATH_CHARS = 255
const MAX_DEPTH = 4

/** Checks an uploaded deck file name (`Airfoils/DU21_A17.dat`) and returns it; throws DISPATCH_UNSAFE_PATH. */
export function checkDeckFileName(name: string): string {
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name)
  if (name.length === 0 || name.length > MAX_PATH_CHARS) {
    throw new DispatchError('DISPATCH_UNSAFE_PATH', `file name ${shown} must be 1-${MAX_PATH_CHARS} characters`)
  }
  const segments = name.split('/')
  if (segments.length > MAX_DEPTH || !segments.every((s) => SEGMENT.test(s))) {
    throw new DispatchError(
      'DISPATCH_UNSAFE_PATH',
      `file name ${shown} is not allowed: use up to ${MAX_DEPTH} '/'-separated segments of [A-Za-z0-9._-], not starting with '.'`,
    )
  }
  return name
}

/** Resolves `relativePath` under `root` and proves the result stays inside it (containment check on every path). */
export function resolveInside(root: string, relativePath: string): string {
  const base = resolve(root)
  const target = resolve(base, relativePath)
  const rel = relative(base, target)
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new DispatchError('DISPATCH_UNSAFE_PATH', `path ${JSON.stringify(relativePath)} escapes ${base}`)
  }
  return target
}
