/**
 * Grain traffic: every request to `<grainId>.<base domain>` (the app rewrites
 * those URLs under GRAIN_ROUTE_PREFIX before routing, so no shell route can
 * match a grain host). Per request: who (grain session cookie, or Bearer
 * grain token) → effective permissions (core/sharing, one Redis round trip)
 * → 403 page if none → CSRF check → wake the grain if needed (a browser
 * navigation waiting more than a second gets a self-reloading "starting"
 * page) → forward, streaming both ways, with the grain contract's headers.
 * Also `/.granary/handoff`, which trades a one-time token for the grain's
 * own session cookie.
 */
import { Transform } from 'node:stream'
import replyFrom from '@fastify/reply-from'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ERR_UNAVAILABLE, GRAIN_ERR_NOT_FOUND } from '../../core/errors.js'
import type { SharingService } from '../../core/sharing/index.js'
import { GRAIN_COOKIE, OWN_COOKIE_PREFIX, clearCookie, readCookie, setCookie, withoutOwnCookies } from '../http/cookies.js'
import { claimedOrigin, classifyHost, isSameOrigin, isStateChanging, safeNext } from '../http/origins.js'
import { DEFAULT_SESSION_MAX_AGE_MS } from '../auth/sessions.js'
import type { AccessReporter } from './access-reporter.js'
import { HANDOFF_PATH, type HandoffStore } from './handoff.js'
import { injectGrainHeaders, type GrainIdentity } from './headers.js'
import { resolveGrainIdentity, type IdentityDeps } from './identity.js'
import { forbiddenPage, notFoundPage, pageHeaders, startingPage, unavailablePage } from './pages.js'
import type { Upstreams } from './upstreams.js'

export const GRAIN_ROUTE_PREFIX = '/.granary-grain'
/** How long a browser navigation waits for a starting grain before it gets the "starting…" page. */
export const NAVIGATION_WAIT_MS = 1_000

export interface GrainProxyOptions {
  baseHost: string
  /** Server secret for X-User-Id. */
  secret: string
  sharing: SharingService
  upstreams: Upstreams
  reporter: AccessReporter
  handoffs: HandoffStore
  bodyLimit: number
  identity: IdentityDeps
}

/** The shell's origin as seen from a grain host: the same host and port without the grain label. */
export const shellOriginOf = (grainHost: string, grainId: string): string => `https://${grainHost.slice(grainId.length + 1)}`

const isNavigation = (request: FastifyRequest): boolean =>
  request.method === 'GET' && (request.headers['sec-fetch-mode'] === 'navigate' || (request.headers.accept ?? '').includes('text/html'))

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT'])
const causeCode = (err: unknown): string | undefined => {
  for (let e = err as { code?: string, cause?: unknown } | undefined, i = 0; e !== undefined && i < 5; e = e.cause as typeof e, i++) {
    if (typeof e?.code === 'string' && CONNECTION_ERRORS.has(e.code)) return e.code
  }
  return undefined
}

class BodyTooLarge extends Error {}

export async function grainProxy (app: FastifyInstance, opts: GrainProxyOptions): Promise<void> {
  await app.register(replyFrom, { undici: { connections: 64, pipelining: 1, keepAliveTimeout: 30_000 }, disableRequestLogging: true })
  // Bodies are not parsed here: they stream to the grain as they arrive.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_request, payload, done) => { done(null, payload) })

  const page = (reply: FastifyReply, status: number, shellOrigin: string, html: string): FastifyReply =>
    reply.code(status).headers(pageHeaders(shellOrigin)).send(html)

  async function handoff (request: FastifyRequest, reply: FastifyReply, grainId: string, shellOrigin: string): Promise<FastifyReply> {
    const token = new URL(request.originalUrl, 'https://x.invalid').searchParams.get('token') ?? ''
    const h = await opts.handoffs.take(token)
    if (h === undefined || h.grainId !== grainId) return page(reply, 403, shellOrigin, forbiddenPage(shellOrigin))
    const previous = readCookie(request.headers.cookie, GRAIN_COOKIE)
    if (previous !== undefined) await opts.identity.sessions.delete(previous)
    const id = await opts.identity.sessions.create({
      userId: h.userId ?? '', kind: 'grain', grainId, displayName: h.displayName, ...(h.linkId !== undefined ? { linkId: h.linkId } : {}),
    })
    return reply.header('set-cookie', setCookie(GRAIN_COOKIE, id, Math.floor(DEFAULT_SESSION_MAX_AGE_MS / 1000)))
      .header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').redirect(safeNext(h.path), 302)
  }

  function forward (request: FastifyRequest, reply: FastifyReply, grainId: string, identity: GrainIdentity, host: string, shellOrigin: string, attempt: number): void {
    const address = opts.upstreams.cached(grainId)
    if (address === undefined) throw new ERR_UNAVAILABLE('grain address lost')
    let tooLarge = false
    if (request.body !== undefined && request.body !== null && typeof (request.body as NodeJS.ReadableStream).pipe === 'function') {
      let seen = 0
      const limit = opts.bodyLimit
      const counted = new Transform({
        transform (chunk: Buffer, _enc, cb) {
          seen += chunk.length
          if (seen > limit) {
            tooLarge = true
            cb(new BodyTooLarge())
          } else cb(null, chunk)
        },
      });
      (request.body as NodeJS.ReadableStream).pipe(counted)
      request.body = counted
    }
    void reply.from(`http://${address.host}:${address.port}${request.originalUrl}`, {
      retryDelay: () => null,
      rewriteRequestHeaders: (_req, headers) => {
        const cookie = withoutOwnCookies(headers.cookie as string | undefined)
        if (cookie === undefined) delete headers.cookie
        else headers.cookie = cookie
        if (identity.sessionType === 'api') delete headers.authorization
        injectGrainHeaders(headers, identity, opts.secret, host)
        return headers
      },
      rewriteHeaders: (headers) => {
        const theirs = headers['content-security-policy']
        const ours = `frame-ancestors ${shellOrigin}`
        headers['content-security-policy'] = theirs === undefined ? ours : [...(Array.isArray(theirs) ? theirs : [String(theirs)]), ours]
        headers['referrer-policy'] = 'same-origin'
        const setCookies = headers['set-cookie']
        if (setCookies !== undefined) {
          // A grain cannot overwrite the proxy's own cookie on its host.
          const kept = (Array.isArray(setCookies) ? setCookies : [String(setCookies)]).filter((c) => !c.trimStart().startsWith(OWN_COOKIE_PREFIX))
          headers['set-cookie'] = kept
        }
        return headers
      },
      onError: (raw, { error }) => {
        const r = raw as unknown as FastifyReply
        if (tooLarge) {
          void r.code(413).send({ error: { code: 'FST_ERR_CTP_BODY_TOO_LARGE', message: 'Request body is too large' } })
          return
        }
        if (causeCode(error) !== undefined) {
          opts.upstreams.forget(grainId)
          if (attempt === 0 && (request.method === 'GET' || request.method === 'HEAD')) {
            opts.upstreams.wake(grainId).then(() => forward(request, r, grainId, identity, host, shellOrigin, 1), (err: unknown) => {
              void page(r, 503, shellOrigin, unavailablePage((err as Error).message))
            })
            return
          }
        }
        request.log.warn({ err: error, grainId }, 'grain request failed')
        void page(r, 502, shellOrigin, unavailablePage('The grain did not answer.'))
      },
    })
  }

  app.all(`${GRAIN_ROUTE_PREFIX}/*`, { schema: { hide: true } }, async (request, reply) => {
    const host = (request.headers.host ?? '').toLowerCase()
    const kind = classifyHost(host, opts.baseHost)
    if (kind.kind !== 'grain') return reply.code(404).send({ error: { code: 'ERR_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}` } })
    const { grainId } = kind
    const shellOrigin = shellOriginOf(host, grainId)
    if (request.originalUrl === HANDOFF_PATH || request.originalUrl.startsWith(HANDOFF_PATH + '?')) return handoff(request, reply, grainId, shellOrigin)

    const who = await resolveGrainIdentity(opts.identity, grainId, request.headers)
    if (!who.ok) {
      if (who.reason === 'no-grain') return page(reply, 404, shellOrigin, notFoundPage(shellOrigin))
      if (who.reason === 'bad-token') return reply.code(401).send({ error: { code: 'ERR_UNAUTHORIZED', message: 'unknown, revoked or expired API token for this grain' } })
      const res = page(reply, 403, shellOrigin, forbiddenPage(shellOrigin))
      return who.reason === 'no-session' && readCookie(request.headers.cookie, GRAIN_COOKIE) !== undefined ? res.header('set-cookie', clearCookie(GRAIN_COOKIE)) : res
    }
    if (who.via === 'cookie' && isStateChanging(request.method)) {
      const origin = claimedOrigin(request.headers)
      if (origin === undefined || !isSameOrigin(origin, host)) {
        return reply.code(403).send({ error: { code: 'AUTH_ERR_CSRF', message: 'cross-site request to a grain refused' } })
      }
    }
    const length = Number(request.headers['content-length'] ?? 0)
    if (length > opts.bodyLimit) return reply.code(413).send({ error: { code: 'FST_ERR_CTP_BODY_TOO_LARGE', message: 'Request body is too large' } })
    opts.reporter.touch(grainId)

    if (opts.upstreams.cached(grainId) === undefined) {
      const waking = opts.upstreams.wake(grainId)
      try {
        if (isNavigation(request)) {
          let timer: NodeJS.Timeout | undefined
          const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), NAVIGATION_WAIT_MS) })
          const first = await Promise.race([waking, late]).finally(() => clearTimeout(timer))
          if (first === 'late') {
            waking.catch(() => { /* the next reload reports it */ })
            return page(reply, 503, shellOrigin, startingPage()).header('retry-after', '1')
          }
        } else {
          await waking
        }
      } catch (err) {
        if (err instanceof GRAIN_ERR_NOT_FOUND) return page(reply, 404, shellOrigin, notFoundPage(shellOrigin))
        request.log.warn({ err, grainId }, 'grain could not start')
        return page(reply, 503, shellOrigin, unavailablePage(err instanceof ERR_UNAVAILABLE ? err.message : 'The grain could not start.'))
      }
    }
    forward(request, reply, grainId, who.identity, host, shellOrigin, 0)
    return reply
  })
}
