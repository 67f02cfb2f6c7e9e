/**
 * Helpers for testing example apps the way the proxy talks to them: plain
 * HTTP with the grain-contract headers, and WebSockets. An app runs either as
 * a plain process (`startAppProcess`) or as a container (`startAppContainer`,
 * reached by its IP on the default bridge); the same checks run against both.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { WebSocket } from 'ws'
import { docker, testLabels } from './docker.js'

export interface Caller { permissions?: string, userId?: string, userName?: string }

/** What a check needs: where the app answers. */
export interface RunningApp { base: string, wsBase: string }

export interface AppProcess extends RunningApp {
  port: number
  dataDir: string
  child: ChildProcess
  /** Ends the process with SIGTERM (it flushes its state) and waits for it. */
  stop(): Promise<void>
}

const ROOT = new URL('../../', import.meta.url)

/** Data directory → how to end each process using it (a restart test runs two in turn). */
const usersOf = new Map<string, Array<() => Promise<void>>>()

export const contractHeaders = (c: Caller): Record<string, string> => ({
  ...(c.permissions !== undefined ? { 'x-permissions': c.permissions } : {}),
  ...(c.userId !== undefined ? { 'x-user-id': c.userId } : {}),
  ...(c.userName !== undefined ? { 'x-user-name': c.userName } : {}),
})

/** Starts `grain-images/<app>/server.js` on a port (a free one by default) with a data directory (a fresh temporary one by default). */
export async function startAppProcess (t: TestContext, app: string, dataDir?: string, port = 0): Promise<AppProcess> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), `granary-${app}-`))
  const child = spawn(process.execPath, [new URL(`grain-images/${app}/server.js`, ROOT).pathname], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port), DATA_DIR: dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const end = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGKILL')
    await exited
  }
  usersOf.set(dir, [...usersOf.get(dir) ?? [], end])
  t.after(end)
  if (dataDir === undefined) {
    t.after(async () => {
      // Only once every process using it is gone: a live app would still be saving into it.
      await Promise.all((usersOf.get(dir) ?? []).map((stop) => stop()))
      usersOf.delete(dir)
      rmSync(dir, { recursive: true, force: true })
    })
  }
  const listening = await new Promise<number>((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /"port":(\d+)/.exec(out)
      if (m !== null) resolve(Number(m[1]))
    })
    child.once('exit', (code) => reject(new Error(`${app} exited (${code}) before listening: ${out}`)))
  })
  return {
    port: listening,
    base: `http://127.0.0.1:${listening}`,
    wsBase: `ws://127.0.0.1:${listening}`,
    dataDir: dir,
    child,
    async stop () {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

export interface AppContainer extends RunningApp {
  id: string
  /** Stops the container (SIGTERM, as the platform does) and starts it again; answers its new address. */
  restart(): Promise<RunningApp>
}

async function reachable (containerId: string, port: number): Promise<RunningApp> {
  const info = await docker.getContainer(containerId).inspect()
  const ip = info.NetworkSettings.Networks.bridge?.IPAddress ?? ''
  if (ip === '') throw new Error('the container has no address on the default bridge')
  const base = `http://${ip}:${port}`
  const deadline = Date.now() + 10_000
  for (;;) {
    try {
      await fetch(base + '/')
      return { base, wsBase: `ws://${ip}:${port}` }
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${info.Config.Image} did not answer at ${base}`, { cause: err })
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

/** Runs an image on the default bridge (labelled for this run) and waits until it answers HTTP. */
export async function startAppContainer (t: TestContext, image: string, runId: string, opts: { port?: number, dataVolumeAt?: string } = {}): Promise<AppContainer> {
  const port = opts.port ?? 8000
  const mounts = []
  if (opts.dataVolumeAt !== undefined) {
    // A fresh named volume, as a grain gets: Docker seeds it from the image's directory (owner included).
    const name = `granary-test-${runId}-${Math.random().toString(16).slice(2, 8)}`
    await docker.createVolume({ Name: name, Labels: testLabels(runId) })
    mounts.push({ Type: 'volume' as const, Source: name, Target: opts.dataVolumeAt })
  }
  const container = await docker.createContainer({ Image: image, Labels: testLabels(runId), HostConfig: { Memory: 128 * 1024 * 1024, PidsLimit: 64, Mounts: mounts } })
  t.after(() => container.remove({ force: true, v: true }).catch(() => undefined))
  await container.start()
  return {
    id: container.id,
    ...await reachable(container.id, port),
    async restart () {
      await container.stop({ t: 5 })
      await container.start()
      return reachable(container.id, port)
    },
  }
}

/** An HTTP call with the grain-contract headers; answers status and parsed JSON (or text). */
export async function call (app: RunningApp, method: string, path: string, caller: Caller, body?: unknown): Promise<{ status: number, body: any }> {
  const res = await fetch(app.base + path, {
    method,
    headers: { ...contractHeaders(caller), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  })
  const text = await res.text()
  let parsed: unknown = text
  try { parsed = JSON.parse(text) } catch { /* not JSON: keep the text */ }
  return { status: res.status, body: parsed }
}

export interface WsClient {
  socket: WebSocket
  /** Waits for the next message (already received or coming) that `match` accepts. */
  next(match?: (m: any) => boolean, timeoutMs?: number): Promise<any>
  send(message: unknown): void
  close(): void
}

/** Opens a WebSocket with the contract headers; rejects with the HTTP status if the upgrade is refused. */
export function openWs (t: TestContext, app: RunningApp, path: string, caller: Caller): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(app.wsBase + path, { headers: contractHeaders(caller) })
    t.after(() => socket.terminate())
    const inbox: any[] = []
    const waiters: Array<{ match: (m: any) => boolean, resolve: (m: any) => void }> = []
    socket.on('message', (data) => {
      const m = JSON.parse(data.toString())
      const i = waiters.findIndex((w) => w.match(m))
      if (i >= 0) waiters.splice(i, 1)[0]!.resolve(m)
      else inbox.push(m)
    })
    socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)))
    socket.once('error', reject)
    socket.once('open', () => resolve({
      socket,
      next (match = () => true, timeoutMs = 3000) {
        const i = inbox.findIndex(match)
        if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0])
        return new Promise((res, rej) => {
          const timer = setTimeout(() => rej(new Error('no matching WebSocket message in time')), timeoutMs)
          waiters.push({ match, resolve: (m) => { clearTimeout(timer); res(m) } })
        })
      },
      send: (message) => socket.send(JSON.stringify(message)),
      close: () => socket.close(),
    }))
  })
}
