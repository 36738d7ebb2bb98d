import type { DispatchErrorResponse } from '@edgetwin/shared-schemas'
import type { FastifyError, FastifyInstance } from 'fastify'
import { type DispatchErrorCode, isDispatchError } from './errors.js'

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

function codeFor(statusCode: number): DispatchErrorCode {
  if (statusCode === 413) return 'DISPATCH_PAYLOAD_TOO_LARGE'
  if (statusCode === 429) return 'DISPATCH_RATE_LIMITED'
  if (statusCode === 404) return 'DISPATCH_NOT_FOUND'
  return statusCode < 500 ? 'DISPATCH_INVALID_REQUEST' : 'DISPATCH_INTERNAL'
}

/** Translates every error at the REST boundary into `{ statusCode, code, error, message }` with a stable code. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    let statusCode: number
    let code: string
    let message = err.message
    if (isDispatchError(err)) {
      statusCode = err.statusCode
      code = err.code
      if (err.retryAfterS !== undefined) reply.header('retry-after', String(err.retryAfterS))
    } else if (err.validation) {
      statusCode = 400
      code = 'DISPATCH_INVALID_REQUEST'
      const details = err.validation
        .slice(0, 10)
        .map((v) => `${err.validationContext ?? ''}${v.instancePath || ''} ${v.message ?? ''}`.trim())
        .join('; ')
      message = `invalid request: ${details}`
    } else {
      statusCode = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500
      code = codeFor(statusCode)
      if (statusCode >= 500) message = 'internal error'
    }
    if (statusCode >= 500) request.log.error({ err }, 'request failed')
    const body: DispatchErrorResponse = { statusCode, code, error: REASONS[statusCode] ?? 'Error', message }
    return reply.status(statusCode).send(body)
  })
  app.setNotFoundHandler((request, reply) => {
    const body: DispatchErrorResponse = {
      statusCode: 404,
      code: 'DISPATCH_NOT_FOUND',
      error: 'Not Found',
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
    }
    return reply.status(404).send(body)
  })
}
