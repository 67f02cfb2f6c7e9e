/**
 * A stand-in grain for proxy tests: a real HTTP server on loopback that
 * answers every request with what it received (method, URL, raw headers,
 * body), plus a WebSocket echo, and a control plane double of our own
 * internal API that "wakes" grains by answering this server's address, and
 * keeps their run states as the real one does (woken: running; stopped: stopped).
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestContext } from 'node:test'
import { WebSocketServer } from 'ws'
import type { GrainRunState, GrainState } from '../../core/control-plane-protocol.js'
import type { ControlPlaneClient } from '../control-plane-client.js'

export interface Seen { method: string, url: string, rawHeaders: string[], headers: IncomingHttpHeaders, body: string }

export interface Upstream { port: number, seen: Seen[], server: Server, close: () => Promise<void> }

export async function startUpstream (t: TestContext): Promise<Upstream> {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, headers: req.headers, body: Buffer.concat(chunks).toString() }
      seen.push(s)
      res.setHeader('set-cookie', ['__Host-granary-grain=planted; Path=/; Secure', 'app-cookie=1; Path=/'])
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(s))
    })
  })
  const wss = new WebSocketServer({ server })
  wss.on('connection', (ws, req) => {
    ws.send(JSON.stringify({ hello: req.headers['x-permissions'] }))
    ws.on('message', (m) => ws.send(String(m)))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const close = async (): Promise<void> => {
    for (const c of wss.clients) c.terminate()
    wss.close()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  t.after(close)
  return { port: (server.address() as AddressInfo).port, seen, server, close }
}

export interface ControlPlaneDouble extends ControlPlaneClient {
  /** Port that wake answers; change it to move the grain. */
  port: number
  wakeDelayMs: number
  wakeFailure?: string
  wakes: string[]
  accessReports: string[][]
  /** What `DELETE /grains/:id` does (the real control plane deletes the grain record); unset: unexpected. */
  deleteGrain?: (grainId: string) => Promise<void>
  /** Run states of the grains it has handled (`GET /grains/states`); others are stopped. */
  states: Map<string, GrainRunState>
  /** Grains it was asked to stop (`POST /grains/:id/stop`), in order. */
  stops: string[]
}

export function controlPlaneDouble (port: number): ControlPlaneDouble {
  const cp: ControlPlaneDouble = {
    port,
    wakeDelayMs: 0,
    wakes: [],
    accessReports: [],
    states: new Map(),
    stops: [],
    health: async () => ({ ok: true, redis: true, docker: true }),
    call: async <T>(method: string, path: string, body?: unknown) => {
      const wake = /^\/grains\/([a-z2-7]+)\/wake$/.exec(path)
      if (method === 'POST' && wake !== null) {
        cp.wakes.push(wake[1]!)
        await new Promise((resolve) => setTimeout(resolve, cp.wakeDelayMs))
        if (cp.wakeFailure !== undefined) {
          cp.states.set(wake[1]!, 'failed')
          return { status: 503, body: { error: { code: 'GRAIN_ERR_START_FAILED', message: cp.wakeFailure } } as T }
        }
        cp.states.set(wake[1]!, 'running')
        return { status: 200, body: { host: '127.0.0.1', port: cp.port } as T }
      }
      const del = /^\/grains\/([a-z2-7]+)$/.exec(path)
      if (method === 'DELETE' && del !== null && cp.deleteGrain !== undefined) {
        await cp.deleteGrain(del[1]!)
        return { status: 204, body: undefined as T }
      }
      const stop = /^\/grains\/([a-z2-7]+)\/stop$/.exec(path)
      if (method === 'POST' && stop !== null) {
        cp.stops.push(stop[1]!)
        if (cp.states.has(stop[1]!)) cp.states.set(stop[1]!, 'stopped')
        return { status: 204, body: undefined as T }
      }
      if (method === 'GET' && path === '/grains/states') {
        return { status: 200, body: [...cp.states].map(([grainId, state]): GrainState => ({ grainId, state })) as T }
      }
      if (method === 'POST' && path === '/access') {
        cp.accessReports.push((body as { grainIds: string[] }).grainIds)
        return { status: 204, body: undefined as T }
      }
      throw new Error(`control plane double: unexpected ${method} ${path}`)
    },
  }
  return cp
}

export interface Answer { status: number, headers: IncomingHttpHeaders, body: string }

/** One HTTP request to a listening proxy with any Host header (fetch cannot set Host). */
export function send (port: number, opts: { method?: string, path?: string, headers?: Record<string, string | string[]>, body?: string | Buffer }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: opts.headers ?? {} }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }))
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}
