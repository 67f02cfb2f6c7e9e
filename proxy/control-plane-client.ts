/**
 * The proxy's client for the control plane's internal API, over its Unix
 * socket, with the shared secret. Every call has a timeout; a failure is an
 * `ERR_UNAVAILABLE` (503) with the cause attached.
 */
import { request } from 'node:http'
import { CONTROL_SECRET_HEADER, type ControlPlaneHealth } from '../core/control-plane-protocol.js'
import { ERR_UNAVAILABLE } from '../core/errors.js'

const DEFAULT_TIMEOUT_MS = 35_000

export interface ControlPlaneClient {
  call<T>(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<{ status: number, body: T }>
  health(): Promise<ControlPlaneHealth | undefined>
}

export function controlPlaneClient (socketPath: string, secret: string): ControlPlaneClient {
  const call = <T>(method: string, path: string, body?: unknown, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<{ status: number, body: T }> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body)
      const req = request({
        socketPath,
        method,
        path,
        timeout: timeoutMs,
        headers: { [CONTROL_SECRET_HEADER]: secret, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
      }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          try {
            resolve({ status: res.statusCode ?? 0, body: (text === '' ? undefined : JSON.parse(text)) as T })
          } catch (cause) {
            reject(new ERR_UNAVAILABLE('control plane sent a malformed answer', { cause }))
          }
        })
      })
      req.on('timeout', () => req.destroy(new Error(`control plane did not answer ${method} ${path} within ${timeoutMs} ms`)))
      req.on('error', (cause) => reject(new ERR_UNAVAILABLE('control plane unreachable', { cause })))
      req.end(payload)
    })
  return {
    call,
    async health () {
      try {
        const res = await call<ControlPlaneHealth>('GET', '/healthz', undefined, 3000)
        return res.status === 200 ? res.body : undefined
      } catch {
        return undefined
      }
    },
  }
}
