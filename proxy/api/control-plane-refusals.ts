/** How the public API passes on the control plane's answers when it forwards a call there. */
import type { FastifyReply } from 'fastify'
import { ControlPlaneError } from '../../core/apps-client.js'
import { ERR_UNAVAILABLE } from '../../core/errors.js'
import { errorBody } from '../../core/http-errors.js'

/**
 * Sends a control-plane refusal (4xx) on as it is, with its code and message;
 * anything else (unreachable, 5xx) becomes a 503 saying what could not be done.
 */
export function relayRefusal (reply: FastifyReply, err: unknown, what: string): FastifyReply {
  if (err instanceof ControlPlaneError && err.status >= 400 && err.status < 500) return reply.code(err.status).send(errorBody(err.code, err.message))
  throw new ERR_UNAVAILABLE(`the control plane could not ${what}`, { cause: err })
}
