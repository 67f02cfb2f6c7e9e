/**
 * A client for the control plane's grain archive routes (`GET /grains/:id/export`,
 * `POST /grains/import`, see control-plane/grain-archive-routes.ts) over its
 * socket: what the proxy forwards the public export/import API to. Archives
 * stream both ways; nothing is buffered.
 */
import { request, type IncomingMessage } from 'node:http'
import type { Readable } from 'node:stream'
import { ControlPlaneError, controlPlaneCaller } from './apps-client.js'
import { CONTROL_SECRET_HEADER } from './control-plane-protocol.js'
import type { GrainRecord } from './grain-records.js'

export interface GrainArchiveClient {
  /** The grain's archive (`application/x-tar`) as a stream. Rejects with a `ControlPlaneError` on a non-2xx answer. */
  exportGrain(grainId: string): Promise<IncomingMessage>
  /** Unpacks an archive as a new grain owned by `owner`. Rejects with a `ControlPlaneError` (400 invalid, 413 too large, 404 unknown app). */
  importGrain(input: { owner: string, title?: string, tar: Readable, size?: number }): Promise<GrainRecord>
}

export function grainArchiveClient (socketPath: string, secret: string): GrainArchiveClient {
  const call = controlPlaneCaller(socketPath, secret)
  return {
    exportGrain: (grainId) => new Promise((resolve, reject) => {
      const req = request({ socketPath, method: 'GET', path: `/grains/${encodeURIComponent(grainId)}/export`, headers: { [CONTROL_SECRET_HEADER]: secret } }, (res) => {
        const status = res.statusCode ?? 0
        if (status >= 200 && status < 300) { resolve(res); return }
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          let error: { code?: string, message?: string } | undefined
          try { error = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: typeof error }).error } catch { error = undefined }
          reject(new ControlPlaneError(status, error?.code ?? `HTTP_${status}`, error?.message ?? `HTTP ${status}`))
        })
      })
      req.on('error', (err) => reject(new ControlPlaneError(0, 'ERR_UNREACHABLE', `cannot reach the control plane at ${socketPath}: ${err.message}`)))
      req.end()
    }),
    importGrain: ({ owner, title, tar, size }) => {
      const query = new URLSearchParams({ owner, ...(title !== undefined ? { title } : {}) })
      return call<GrainRecord>({
        method: 'POST',
        path: `/grains/import?${query.toString()}`,
        headers: { 'content-type': 'application/x-tar', ...(size !== undefined ? { 'content-length': size } : {}) },
        body: tar,
      })
    },
  }
}
