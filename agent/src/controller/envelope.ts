import {
  type AgentJobsConfig,
  type ControllerParameterName,
  type ControllerParameters,
  ControllerUpdateJobDocument,
  createValidator,
} from '@edgetwin/shared-schemas'
import { type BindingCode, type BindingContext, checkSignatureBinding, type SignatureVerifier } from './signature.js'

const documentValidator = createValidator(ControllerUpdateJobDocument)

/** Why a controller update was refused; reported to the Jobs service in `statusDetails.reasonCode`. */
export type RejectionCode =
  | 'NOT_AN_OBJECT'
  | 'UNSUPPORTED_OPERATION'
  | 'SCHEMA'
  | 'NOT_FINITE'
  | 'SIGNATURE_MISSING'
  | 'SIGNATURE_INVALID'
  | BindingCode
  | 'REPLAYED_VERSION'
  | 'NO_ENVELOPE'
  | 'OUT_OF_BOUNDS'
  | 'STEP_TOO_LARGE'
  | 'NO_CHANGE'

export type UpdateCheck =
  | { readonly ok: true; readonly document: ControllerUpdateJobDocument; readonly next: ControllerParameters }
  | { readonly ok: false; readonly code: RejectionCode; readonly reason: string }

export interface UpdateCheckContext {
  readonly current: ControllerParameters
  /** Highest document version ever applied (0 before the first). */
  readonly lastDocumentVersion: number
  readonly envelope: AgentJobsConfig['envelope']
  readonly defaultMaxChangeFraction: number
  readonly requireSignature: boolean
  /** Verifies the detached signature; absent when no key is pinned. */
  readonly verifySignature?: SignatureVerifier
  /** The job, thing and time a document's `binding` is checked against; absent, a binding is not checked. */
  readonly binding?: BindingContext
}

const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype']
// Relative slack so a step of exactly the allowed size is not refused through floating-point rounding.
const STEP_EPSILON = 1e-9

function reject(code: RejectionCode, reason: string): UpdateCheck {
  return { ok: false, code, reason: reason.slice(0, 1000) }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype
}

/**
 * Decides whether a job document may change the controller: schema, signature, replay, then the safety
 * envelope (bounds and maximum step per parameter). Pure: the caller applies `next` only when `ok`.
 */
export function checkControllerUpdate(input: unknown, ctx: UpdateCheckContext): UpdateCheck {
  if (!isPlainObject(input)) return reject('NOT_AN_OBJECT', 'job document must be a JSON object')
  if (input.operation !== 'controller-update') {
    return reject('UNSUPPORTED_OPERATION', `operation ${JSON.stringify(String(input.operation)).slice(0, 80)} is not 'controller-update'`)
  }
  for (const target of [input, input.parameters]) {
    if (isPlainObject(target)) {
      const bad = Object.getOwnPropertyNames(target).find((k) => FORBIDDEN_KEYS.includes(k))
      if (bad) return reject('SCHEMA', `forbidden key '${bad}'`)
    }
  }
  if (isPlainObject(input.parameters)) {
    for (const [name, value] of Object.entries(input.parameters)) {
      if (typeof value === 'number' && !Number.isFinite(value)) return reject('NOT_FINITE', `parameter ${name} is ${value}, must be finite`)
    }
  }
  if (!documentValidator.check(input)) {
    const summary = documentValidator
      .errors(input)
      .map((e) => `${e.path || '(root)'}: ${e.message}`)
      .join('; ')
    return reject('SCHEMA', `invalid ControllerUpdateJobDocument: ${summary}`)
  }
  const document = input
  if (document.signature) {
    if (!ctx.verifySignature) return reject('SIGNATURE_INVALID', 'document is signed but no public key is pinned')
    if (!ctx.verifySignature(document, document.signature)) {
      return reject('SIGNATURE_INVALID', `${document.signature.algorithm} signature does not verify with the pinned key`)
    }
  } else if (ctx.requireSignature) {
    return reject('SIGNATURE_MISSING', 'unsigned document; this agent requires a signature')
  }
  // A signature proves who wrote the document; the binding inside the signed bytes says for which job, device and
  // until when. Checked on unsigned documents too when they carry one: a misrouted document is refused either way.
  if (ctx.binding && (document.signature || document.binding)) {
    const bound = checkSignatureBinding(document.binding, ctx.binding)
    if (!bound.ok) return reject(bound.code, bound.reason)
  }
  if (document.version <= ctx.lastDocumentVersion) {
    return reject('REPLAYED_VERSION', `document version ${document.version} is not above the last applied ${ctx.lastDocumentVersion}`)
  }
  const next: ControllerParameters = { ...ctx.current }
  let changed = 0
  for (const [name, value] of Object.entries(document.parameters) as [ControllerParameterName, number][]) {
    const envelope = Object.hasOwn(ctx.envelope, name) ? ctx.envelope[name] : undefined
    if (!envelope) return reject('NO_ENVELOPE', `parameter ${name} has no safety envelope on this agent and cannot be changed`)
    if (value < envelope.min || value > envelope.max) {
      return reject('OUT_OF_BOUNDS', `parameter ${name} = ${value} is outside the safety envelope [${envelope.min}, ${envelope.max}]`)
    }
    const current = ctx.current[name]
    const step = Math.abs(value - current)
    const fraction = envelope.maxChangeFraction ?? (envelope.maxChangeAbs === undefined ? ctx.defaultMaxChangeFraction : undefined)
    if (envelope.maxChangeAbs !== undefined && step > envelope.maxChangeAbs * (1 + STEP_EPSILON)) {
      return reject(
        'STEP_TOO_LARGE',
        `parameter ${name}: change ${step} from ${current} exceeds the maximum ${envelope.maxChangeAbs} per update`,
      )
    }
    if (fraction !== undefined && step > Math.abs(current) * fraction * (1 + STEP_EPSILON)) {
      return reject(
        'STEP_TOO_LARGE',
        `parameter ${name}: change ${step} from ${current} exceeds ${fraction * 100} % of the current value per update`,
      )
    }
    if (value !== current) changed++
    next[name] = value
  }
  if (changed === 0) return reject('NO_CHANGE', 'the document changes no parameter')
  return { ok: true, document, next }
}
