/**
 * One error handler for every Granary HTTP app: errors become
 * `{ error: { code, message } }` with a fitting status. Client errors (4xx)
 * show their message; anything else is logged and answered with a generic 500,
 * so internals never leak. Unknown routes answer a JSON 404.
 */
import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export interface ErrorBody { error: { code: string, message: string } }

export const errorBody = (code: string, message: string): ErrorBody => ({ error: { code, message } })

/** The HTTP status an error answers with: its own if it has one, 400 for a failed validation, else 500. */
export function statusOf (err: FastifyError): number {
  const status = err.statusCode
  if (typeof status === 'number' && status >= 400 && status < 600) return status
  if (err.validation !== undefined) return 400
  return 500
}

export const httpErrors = fp(async function httpErrors (app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = statusOf(err)
    if (status >= 500) {
      request.log.error({ err }, 'request failed')
      return reply.code(status).send(errorBody(status === 503 ? (err.code ?? 'ERR_UNAVAILABLE') : 'ERR_INTERNAL', status === 503 ? err.message : 'internal error'))
    }
    const code = err.validation !== undefined ? 'ERR_BAD_REQUEST' : (err.code ?? 'ERR_BAD_REQUEST')
    return reply.code(status).send(errorBody(code, err.message))
  })
  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).send(errorBody('ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`))
  })
}, { name: 'granary-http-errors' })
