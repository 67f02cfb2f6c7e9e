/**
 * Every HTTP request to a grain host (`<grainId>.<base domain>`), on bare
 * node:http objects: the proxy's server hands grain hosts here before
 * fastify (no routing, hooks or reply objects on the hot path), and a
 * fastify route hands over what reaches it through `inject()`.
 *
 * Per request: who (grain session cookie, or Bearer grain token) → effective
 * permissions (core/sharing: from memory while the grain-changes feed vouches
 * for the cached share graph, else one Redis round trip) → 403 page if none →
 * CSRF check → wake the grain if needed (a browser navigation waiting more
 * than a second gets a self-reloading "starting" page) → forward (forward.ts).
 * Also `/.granary/handoff`, which trades a one-time token for the grain's
 * own session cookie.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyBaseLogger } from 'fastify'
import { ERR_UNAVAILABLE, GRAIN_ERR_NOT_FOUND } from '../../core/errors.js'
import { errorBody } from '../../core/http-errors.js'
import { GRAIN_COOKIE, clearCookie, readCookie, setCookie } from '../http/cookies.js'
import { claimedOrigin, isSameOrigin, isStateChanging, safeNext } from '../http/origins.js'
import { DEFAULT_SESSION_MAX_AGE_MS } from '../auth/sessions.js'
import { HSTS_VALUE } from '../tls.js'
import type { AccessReporter } from './access-reporter.js'
import { forwarder, type ForwardFailure, type ForwardRequest } from './forward.js'
import { HANDOFF_PATH, type HandoffStore } from './handoff.js'
import type { GrainIdentity } from './headers.js'
import { resolveGrainIdentity, type IdentityDeps } from './identity.js'
import { forbiddenPage, notFoundPage, pageHeaders, startingPage, unavailablePage } from './pages.js'
import type { Upstreams } from './upstreams.js'

/** How long a browser navigation waits for a starting grain before it gets the "starting…" page. */
export const NAVIGATION_WAIT_MS = 1_000

export interface GrainRequestsOptions {
  /** Server secret for X-User-Id. */
  secret: string
  upstreams: Upstreams
  reporter: AccessReporter
  handoffs: HandoffStore
  bodyLimit: number
  identity: IdentityDeps
  log: FastifyBaseLogger
}

/** Answers one request to grain `grainId`; `host` is the request's Host (lowercase), `path` its path and query. */
export type GrainRequestHandler = (req: IncomingMessage, res: ServerResponse, grainId: string, host: string, path: string) => void

export interface GrainRequests { handle: GrainRequestHandler, close(): Promise<void> }

/** The shell's origin as seen from a grain host: the same host and port without the grain label. */
export const shellOriginOf = (grainHost: string, grainId: string): string => `https://${grainHost.slice(grainId.length + 1)}`

const isNavigation = (req: IncomingMessage): boolean =>
  req.method === 'GET' && (req.headers['sec-fetch-mode'] === 'navigate' || (req.headers.accept ?? '').includes('text/html'))

function send (res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  if (res.headersSent) { res.destroy(); return }
  res.writeHead(status, { ...headers, 'strict-transport-security': HSTS_VALUE, 'content-length': Buffer.byteLength(body) }).end(body)
}
const sendPage = (res: ServerResponse, status: number, shellOrigin: string, html: string, extra: Record<string, string> = {}): void =>
  send(res, status, { ...pageHeaders(shellOrigin), ...extra }, html)
const sendError = (res: ServerResponse, status: number, code: string, message: string): void =>
  send(res, status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, JSON.stringify(errorBody(code, message)))

export function grainRequests (opts: GrainRequestsOptions): GrainRequests {
  const forwarding = forwarder({ secret: opts.secret, bodyLimit: opts.bodyLimit })

  async function handoff (req: IncomingMessage, res: ServerResponse, grainId: string, path: string, shellOrigin: string): Promise<void> {
    const token = new URL(path, 'https://x.invalid').searchParams.get('token') ?? ''
    const h = await opts.handoffs.take(token)
    if (h === undefined || h.grainId !== grainId) { sendPage(res, 403, shellOrigin, forbiddenPage(shellOrigin)); return }
    const previous = readCookie(req.headers.cookie, GRAIN_COOKIE)
    if (previous !== undefined) await opts.identity.sessions.delete(previous)
    const id = await opts.identity.sessions.create({
      userId: h.userId ?? '', kind: 'grain', grainId, displayName: h.displayName, ...(h.linkId !== undefined ? { linkId: h.linkId } : {}),
    })
    send(res, 302, {
      'set-cookie': setCookie(GRAIN_COOKIE, id, Math.floor(DEFAULT_SESSION_MAX_AGE_MS / 1000)),
      'cache-control': 'no-store', 'referrer-policy': 'no-referrer', location: safeNext(h.path),
    }, '')
  }

  /** After a forward failed before any answer: retry a GET or HEAD once on a re-woken grain, else an error page. */
  function failed (failure: ForwardFailure, request: ForwardRequest, grainId: string, attempt: number): void {
    const { res, shellOrigin } = request
    if (failure.kind === 'too-large') { sendError(res, 413, 'FST_ERR_CTP_BODY_TOO_LARGE', 'Request body is too large'); return }
    if (failure.kind === 'unreachable') {
      opts.upstreams.forget(grainId)
      if (attempt === 0 && (request.req.method === 'GET' || request.req.method === 'HEAD')) {
        opts.upstreams.wake(grainId).then((address) => {
          forwarding.forward({ ...request, address }, (again, r) => { failed(again, r, grainId, 1) })
        }, (err: unknown) => { sendPage(res, 503, shellOrigin, unavailablePage((err as Error).message)) })
        return
      }
    }
    opts.log.warn({ err: failure.kind === 'failed' ? failure.error : failure.code, grainId }, 'grain request failed')
    sendPage(res, 502, shellOrigin, unavailablePage('The grain did not answer.'))
  }

  /** Wakes a grain that has no known address; false when the request was answered instead (starting page, error page). */
  async function woken (req: IncomingMessage, res: ServerResponse, grainId: string, shellOrigin: string): Promise<boolean> {
    const waking = opts.upstreams.wake(grainId)
    try {
      if (isNavigation(req)) {
        let timer: NodeJS.Timeout | undefined
        const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), NAVIGATION_WAIT_MS) })
        const first = await Promise.race([waking, late]).finally(() => clearTimeout(timer))
        if (first === 'late') {
          waking.catch(() => { /* the next reload reports it */ })
          sendPage(res, 503, shellOrigin, startingPage(), { 'retry-after': '1' })
          return false
        }
      } else {
        await waking
      }
      return true
    } catch (err) {
      if (err instanceof GRAIN_ERR_NOT_FOUND) sendPage(res, 404, shellOrigin, notFoundPage(shellOrigin))
      else {
        opts.log.warn({ err, grainId }, 'grain could not start')
        sendPage(res, 503, shellOrigin, unavailablePage(err instanceof ERR_UNAVAILABLE ? err.message : 'The grain could not start.'))
      }
      return false
    }
  }

  async function handle (req: IncomingMessage, res: ServerResponse, grainId: string, host: string, path: string): Promise<void> {
    const shellOrigin = shellOriginOf(host, grainId)
    if (path === HANDOFF_PATH || path.startsWith(HANDOFF_PATH + '?')) { await handoff(req, res, grainId, path, shellOrigin); return }

    const who = await resolveGrainIdentity(opts.identity, grainId, req.headers)
    if (!who.ok) {
      if (who.reason === 'no-grain') sendPage(res, 404, shellOrigin, notFoundPage(shellOrigin))
      else if (who.reason === 'bad-token') sendError(res, 401, 'ERR_UNAUTHORIZED', 'unknown, revoked or expired API token for this grain')
      else {
        const stale = who.reason === 'no-session' && readCookie(req.headers.cookie, GRAIN_COOKIE) !== undefined
        sendPage(res, 403, shellOrigin, forbiddenPage(shellOrigin), stale ? { 'set-cookie': clearCookie(GRAIN_COOKIE) } : {})
      }
      return
    }
    if (who.via === 'cookie' && isStateChanging(req.method ?? 'GET')) {
      const origin = claimedOrigin(req.headers)
      if (origin === undefined || !isSameOrigin(origin, host)) { sendError(res, 403, 'AUTH_ERR_CSRF', 'cross-site request to a grain refused'); return }
    }
    if (Number(req.headers['content-length'] ?? 0) > opts.bodyLimit) { sendError(res, 413, 'FST_ERR_CTP_BODY_TOO_LARGE', 'Request body is too large'); return }
    opts.reporter.touch(grainId)

    let address = opts.upstreams.cached(grainId)
    if (address === undefined) {
      if (!await woken(req, res, grainId, shellOrigin)) return
      address = opts.upstreams.cached(grainId)
      if (address === undefined) { sendPage(res, 503, shellOrigin, unavailablePage('The grain stopped while starting.')); return }
    }
    forward(req, res, path, address, who.identity, host, shellOrigin, grainId)
  }

  function forward (req: IncomingMessage, res: ServerResponse, path: string, address: NonNullable<ReturnType<Upstreams['cached']>>, identity: GrainIdentity, host: string, shellOrigin: string, grainId: string): void {
    forwarding.forward({ req, res, path, address, identity, host, shellOrigin }, (failure, request) => { failed(failure, request, grainId, 0) })
  }

  return {
    handle (req, res, grainId, host, path) {
      handle(req, res, grainId, host, path).catch((err: unknown) => {
        opts.log.error({ err, grainId }, 'grain request failed inside the proxy')
        if (!res.headersSent) sendError(res, 500, 'ERR_INTERNAL', 'Internal Server Error')
        else res.destroy()
      })
    },
    close: () => forwarding.close(),
  }
}
