/**
 * Forwards one request to a grain and its answer back, streaming both ways,
 * on undici's connection pools (one keep-alive pool per grain address). The
 * request the grain sees is built here, not passed through: hop-by-hop
 * headers, the proxy's own cookies, a grain API token and every header of the
 * grain contract the client sent are removed, and the proxy's own are set
 * (headers.ts). The answer gets `frame-ancestors <shell>` added to its CSP,
 * `Referrer-Policy: same-origin`, HSTS, and loses any cookie that would
 * overwrite the proxy's own.
 *
 * This is the hot path of grain traffic: no logging, no per-request closures
 * beyond the two undici needs.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import { Transform, type Readable } from 'node:stream'
import { Agent, type Dispatcher } from 'undici'
import type { WakeAnswer } from '../../core/control-plane-protocol.js'
import { OWN_COOKIE_PREFIX, withoutOwnCookies } from '../http/cookies.js'
import { HSTS_VALUE } from '../tls.js'
import { injectGrainHeaders, type GrainIdentity } from './headers.js'

/** Connections kept per grain address. */
const CONNECTIONS_PER_GRAIN = 64
const KEEP_ALIVE_MS = 30_000

/** Headers that describe one connection, not the request or answer (RFC 9110 §7.6.1), plus `host` and `expect`, which the client to the grain sets itself. */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host', 'expect', 'http2-settings'])

/** Why a forward failed, for the caller to answer. */
export type ForwardFailure =
  | { kind: 'too-large' }
  /** The grain's address did not take the connection (it stopped, or moved): worth waking and trying again. */
  | { kind: 'unreachable', code: string }
  | { kind: 'failed', error: unknown }

export interface ForwardRequest {
  req: IncomingMessage
  res: ServerResponse
  /** Path and query as the client sent them. */
  path: string
  address: WakeAnswer
  identity: GrainIdentity
  /** The grain's public host (with port), for X-Forwarded-Host. */
  host: string
  shellOrigin: string
  /** The request's body, once it has been wrapped in a size limit (a retry reuses it); undefined before the first try. */
  body?: NodeJS.ReadableStream | null
}

export interface Forwarder {
  /**
   * Sends the request and pipes the answer to `res`. Calls `onFailure` (and
   * writes nothing) when no answer started: the caller decides between a
   * retry and an error page. Errors after the answer started end the response.
   */
  forward(request: ForwardRequest, onFailure: (failure: ForwardFailure, request: ForwardRequest) => void): void
  close(): Promise<void>
}

class BodyTooLarge extends Error {}

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT'])
/** The connection-level error code in an error or its causes, if any. */
export function connectionErrorCode (err: unknown): string | undefined {
  for (let e = err as { code?: string, cause?: unknown } | undefined, i = 0; e !== undefined && e !== null && i < 5; e = e.cause as typeof e, i++) {
    if (typeof e.code === 'string' && CONNECTION_ERRORS.has(e.code)) return e.code
  }
  return undefined
}

/** The headers the grain gets: the client's, less what must not pass, plus the grain contract's. */
export function grainRequestHeaders (incoming: IncomingHttpHeaders, identity: GrainIdentity, secret: string, host: string): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {}
  for (const name in incoming) {
    const value = incoming[name]
    if (value !== undefined && !NOT_FORWARDED.has(name)) headers[name] = value
  }
  const cookie = withoutOwnCookies(incoming.cookie)
  if (cookie === undefined) delete headers.cookie
  else headers.cookie = cookie
  if (identity.sessionType === 'api') delete headers.authorization
  injectGrainHeaders(headers, identity, secret, host)
  return headers
}

/** The headers the client gets from the grain's answer. */
export function clientResponseHeaders (upstream: Record<string, string | string[] | undefined>, shellOrigin: string): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {}
  for (const name in upstream) {
    const value = upstream[name]
    if (value !== undefined && !NOT_FORWARDED.has(name)) headers[name] = value
  }
  const theirs = headers['content-security-policy']
  const ours = `frame-ancestors ${shellOrigin}`
  headers['content-security-policy'] = theirs === undefined ? ours : [...(Array.isArray(theirs) ? theirs : [theirs]), ours]
  headers['referrer-policy'] = 'same-origin'
  headers['strict-transport-security'] = HSTS_VALUE
  const setCookies = headers['set-cookie']
  if (setCookies !== undefined) {
    // A grain cannot overwrite the proxy's own cookie on its host.
    headers['set-cookie'] = (Array.isArray(setCookies) ? setCookies : [setCookies]).filter((c) => !c.trimStart().startsWith(OWN_COOKIE_PREFIX))
  }
  return headers
}

/** True when the request carries a body (RFC 9112 §6.3: a length or a transfer coding). */
const hasBody = (req: IncomingMessage): boolean =>
  req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0')

/** The request body, failing with BodyTooLarge past `limit` bytes while it streams. */
function limitedBody (req: IncomingMessage, limit: number): Transform {
  let seen = 0
  const counted = new Transform({
    transform (chunk: Buffer, _enc, cb) {
      seen += chunk.length
      if (seen > limit) cb(new BodyTooLarge())
      else cb(null, chunk)
    },
  })
  req.on('error', (err) => counted.destroy(err))
  return req.pipe(counted)
}

/**
 * One forwarded request as an undici dispatch handler: the answer is written
 * to the client as it arrives (pausing the grain's side while the client is
 * slow), and a client that goes away aborts the request to the grain.
 */
class Forwarding implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined
  private started = false
  private readonly onClientGone = (): void => { if (!this.request.res.writableFinished) this.controller?.abort(new ClientGone()) }
  private readonly onDrain = (): void => { this.controller?.resume() }

  constructor (private readonly request: ForwardRequest, private readonly onFailure: (failure: ForwardFailure, request: ForwardRequest) => void) {
    request.res.once('close', this.onClientGone)
  }

  onRequestStart (controller: Dispatcher.DispatchController): void {
    this.controller = controller
    if (this.request.res.destroyed) controller.abort(new ClientGone())
  }

  onResponseStart (_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return // 1xx: informational, the final answer follows
    this.started = true
    this.request.res.writeHead(statusCode, clientResponseHeaders(headers, this.request.shellOrigin))
  }

  onResponseData (controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.request.res.write(chunk)) {
      controller.pause()
      this.request.res.once('drain', this.onDrain)
    }
  }

  onResponseEnd (): void {
    this.request.res.off('close', this.onClientGone)
    this.request.res.end()
  }

  onResponseError (_controller: Dispatcher.DispatchController, error: Error): void {
    const { res } = this.request
    res.off('close', this.onClientGone)
    if (error instanceof ClientGone || res.destroyed) return
    if (this.started) { res.destroy(error); return }
    const cause = (error as { cause?: unknown }).cause
    if (error instanceof BodyTooLarge || cause instanceof BodyTooLarge) { this.onFailure({ kind: 'too-large' }, this.request); return }
    const code = connectionErrorCode(error)
    this.onFailure(code !== undefined ? { kind: 'unreachable', code } : { kind: 'failed', error }, this.request)
  }
}

class ClientGone extends Error {}

export function forwarder (opts: { secret: string, bodyLimit: number }): Forwarder {
  const agent = new Agent({ connections: CONNECTIONS_PER_GRAIN, pipelining: 1, keepAliveTimeout: KEEP_ALIVE_MS })

  function forward (request: ForwardRequest, onFailure: (failure: ForwardFailure, request: ForwardRequest) => void): void {
    const { req, address } = request
    if (request.body === undefined) request.body = hasBody(req) ? limitedBody(req, opts.bodyLimit) : null
    agent.dispatch({
      origin: `http://${address.host}:${address.port}`,
      path: request.path,
      method: req.method as Dispatcher.HttpMethod,
      headers: grainRequestHeaders(req.headers, request.identity, opts.secret, request.host),
      body: request.body as Readable | null,
    }, new Forwarding(request, onFailure))
  }

  return { forward, close: () => agent.close() }
}
