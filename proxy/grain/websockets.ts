/**
 * WebSockets to grains: the HTTP upgrade gets the same checks as any grain
 * request (session or token, permissions, same-origin Origin, wake), then
 * the proxy writes the rewritten upgrade request to the grain and pipes
 * bytes both ways. Open sockets are remembered per grain; when permissions on
 * the grain may have changed (a message on the permission-change channel,
 * published by the sharing API on every proxy, or the periodic re-check),
 * each socket's principal is re-checked, and a socket whose permissions
 * differ from those it was opened with is closed (the app reconnects and
 * gets the new X-Permissions, or a 403).
 */
import type { IncomingMessage } from 'node:http'
import { connect, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { parsePrincipal, type Principal } from '../../core/sharing/index.js'
import { withoutOwnCookies } from '../http/cookies.js'
import { claimedOrigin, classifyHost, isSameOrigin } from '../http/origins.js'
import type { ChangeFeed } from '../../core/sharing/change-feed.js'
import type { AccessReporter } from './access-reporter.js'
import { injectGrainHeaders } from './headers.js'
import { resolveGrainIdentity, type IdentityDeps } from './identity.js'
import type { Upstreams } from './upstreams.js'

export const DEFAULT_RECHECK_INTERVAL_MS = 5_000

export interface GrainSocketsOptions {
  baseHost: string
  secret: string
  upstreams: Upstreams
  reporter: AccessReporter
  identity: IdentityDeps
  /** Changes to grains' shares: open sockets of a changed grain are re-checked at once. */
  feed: Pick<ChangeFeed, 'onChange'>
  recheckIntervalMs?: number | undefined
}

interface OpenSocket { grainId: string, principal: Principal, permissions: string, sessionId?: string | undefined, client: Duplex, upstream: Socket }

function refuse (socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`)
}

export const grainSockets = fp(async function grainSockets (app: FastifyInstance, opts: GrainSocketsOptions) {
  const open = new Map<string, Set<OpenSocket>>()

  const recheck = async (grainId: string): Promise<void> => {
    const sockets = open.get(grainId)
    if (sockets === undefined) return
    let snapshot
    try {
      snapshot = await opts.identity.sharing.requestSnapshot(grainId)
    } catch {
      snapshot = undefined // grain gone: everything closes
    }
    for (const s of sockets) {
      let now = snapshot === undefined ? '' : snapshot.solution.permissionsOf(s.principal).join(',')
      if (now !== '' && s.sessionId !== undefined && parsePrincipal(s.principal)?.kind !== 'token') {
        const session = await opts.identity.sessions.get(s.sessionId, 'grain', grainId)
        if (session === undefined) now = ''
      }
      if (now !== s.permissions) {
        s.client.destroy()
        s.upstream.destroy()
      }
    }
  }

  opts.feed.onChange((grainId) => {
    recheck(grainId).catch((err: unknown) => app.log.warn({ err, grainId }, 'WebSocket re-check failed'))
  })
  const timer = setInterval(() => {
    for (const grainId of open.keys()) {
      opts.reporter.touch(grainId) // an open socket is use
      recheck(grainId).catch((err: unknown) => app.log.warn({ err, grainId }, 'WebSocket re-check failed'))
    }
  }, opts.recheckIntervalMs ?? DEFAULT_RECHECK_INTERVAL_MS)
  timer.unref()

  async function upgrade (req: IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    const host = (req.headers.host ?? '').toLowerCase()
    const kind = classifyHost(host, opts.baseHost)
    if (kind.kind !== 'grain') return refuse(client, 404, 'Not Found')
    const { grainId } = kind
    const who = await resolveGrainIdentity(opts.identity, grainId, req.headers)
    if (!who.ok) return refuse(client, who.reason === 'no-grain' ? 404 : who.reason === 'bad-token' ? 401 : 403, who.reason === 'no-grain' ? 'Not Found' : 'Forbidden')
    if (who.via === 'cookie') {
      const origin = claimedOrigin(req.headers)
      if (origin === undefined || !isSameOrigin(origin, host)) return refuse(client, 403, 'Forbidden')
    }
    const address = opts.upstreams.cached(grainId) ?? await opts.upstreams.wake(grainId)
    opts.reporter.touch(grainId)
    const headers: Record<string, string | string[] | number | undefined> = { ...req.headers }
    const cookie = withoutOwnCookies(req.headers.cookie)
    if (cookie === undefined) delete headers.cookie
    else headers.cookie = cookie
    if (who.identity.sessionType === 'api') delete headers.authorization
    injectGrainHeaders(headers, who.identity, opts.secret, host)
    headers.host = `${address.host}:${address.port}`
    const lines = Object.entries(headers).flatMap(([k, v]) => v === undefined ? [] : (Array.isArray(v) ? v : [String(v)]).map((x) => `${k}: ${x.replace(/[\r\n]/g, '')}`))
    const upstream = connect(address.port, address.host)
    const entry: OpenSocket = { grainId, principal: who.principal, permissions: who.identity.permissions.join(','), sessionId: who.sessionId, client, upstream }
    let set = open.get(grainId)
    if (set === undefined) open.set(grainId, set = new Set())
    set.add(entry)
    const done = (): void => {
      client.destroy()
      upstream.destroy()
      const s = open.get(grainId)
      s?.delete(entry)
      if (s?.size === 0) open.delete(grainId)
    }
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') opts.upstreams.forget(grainId)
      done()
    })
    client.on('error', done)
    upstream.on('close', done)
    client.on('close', done)
    upstream.setNoDelay(true)
    upstream.write(`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`)
    if (head.length > 0) upstream.write(head)
    upstream.pipe(client)
    client.pipe(upstream)
  }

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    upgrade(req, socket, head).catch((err: unknown) => {
      app.log.warn({ err }, 'WebSocket upgrade failed')
      if (!socket.destroyed) refuse(socket, 503, 'Service Unavailable')
    })
  }
  app.server.on('upgrade', onUpgrade)
  app.addHook('onClose', async () => {
    clearInterval(timer)
    app.server.off('upgrade', onUpgrade)
    for (const set of open.values()) for (const s of set) { s.client.destroy(); s.upstream.destroy() }
  })
}, { name: 'granary-grain-sockets' })
