/**
 * Grain traffic inside fastify. A real server sends grain hosts straight to
 * the grain request handler (grain-requests.ts) before fastify sees them
 * (see `grainAwareServer`); this route is the same handler's entry for
 * whatever still reaches fastify, i.e. `app.inject()` in tests. The app
 * rewrites grain-host URLs under GRAIN_ROUTE_PREFIX before routing, so no
 * shell route can ever answer on a grain host.
 *
 * Why grain traffic does not go through @fastify/http-proxy (the stack's
 * first choice): measured with `npm run bench:proxy` on 2026-12-01, both with
 * the permission check answered from memory (core/sharing/change-feed.ts),
 * routing every grain request through fastify's router, hooks and
 * @fastify/reply-from (the engine of @fastify/http-proxy) reached 0.85× of
 * plain @fastify/http-proxy's throughput over HTTPS; this bare handler on
 * undici's dispatch API (forward.ts; undici is reply-from's own client)
 * reached 1.20× in the same run, i.e. 1.4× more grain requests per second on
 * the same cores, and 0.79× of nginx instead of 0.56×. Both meet the issue's
 * 0.8× goal; the margin is kept because grain traffic is the platform's hot
 * path. @fastify/http-proxy stays the benchmark's baseline.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { FastifyInstance } from 'fastify'
import { errorBody } from '../../core/http-errors.js'
import { classifyHost } from '../http/origins.js'
import { httpsOptions, type TlsMaterial } from '../tls.js'
import type { GrainRequestHandler } from './grain-requests.js'

export const GRAIN_ROUTE_PREFIX = '/.granary-grain'

/** Node's defaults would cut long uploads and downloads (requestTimeout 5 min); a slow client still gets headersTimeout. */
const KEEP_ALIVE_TIMEOUT_MS = 72_000

/**
 * The proxy's HTTP(S) server: requests to a grain host go to `grains()`'s
 * handler (once the app has made it), everything else to fastify.
 */
export function grainAwareServer (baseHost: string, tls: TlsMaterial | undefined, grains: () => GrainRequestHandler | undefined) {
  return (fastifyHandler: (req: IncomingMessage, res: ServerResponse) => void): Server => {
    const listener = (req: IncomingMessage, res: ServerResponse): void => {
      const handler = grains()
      const kind = handler === undefined ? undefined : classifyHost(req.headers.host, baseHost)
      if (kind?.kind === 'grain') handler!(req, res, kind.grainId, (req.headers.host ?? '').toLowerCase(), req.url ?? '/')
      else fastifyHandler(req, res)
    }
    const server = tls === undefined ? createHttpServer(listener) : createHttpsServer(httpsOptions(tls), listener)
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS
    server.requestTimeout = 0
    return server
  }
}

export async function grainProxy (app: FastifyInstance, opts: { baseHost: string, handle: GrainRequestHandler }): Promise<void> {
  // Bodies are not parsed here: they stream to the grain as they arrive.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_request, payload, done) => { done(null, payload) })
  app.all(`${GRAIN_ROUTE_PREFIX}/*`, { schema: { hide: true } }, (request, reply) => {
    const host = (request.headers.host ?? '').toLowerCase()
    const kind = classifyHost(host, opts.baseHost)
    if (kind.kind !== 'grain') {
      return reply.code(404).send(errorBody('ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`))
    }
    reply.hijack()
    opts.handle(request.raw, reply.raw, kind.grainId, host, request.originalUrl)
    return reply
  })
}
