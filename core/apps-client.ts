/**
 * A client for the control plane's app routes over its Unix socket, with the
 * shared secret: what the `granary app` CLI uses, and what tests drive the
 * real socket with. Uploads stream from any Readable (a file, usually) and
 * report progress; nothing is buffered.
 */
import { request } from 'node:http'
import type { Readable } from 'node:stream'
import { CONTROL_SECRET_HEADER, MANIFEST_HEADER, MAX_MANIFEST_HEADER_BYTES, encodeManifestHeader, type AppSummary, type PublishAppRequest } from './control-plane-protocol.js'

/** A non-2xx answer, with the control plane's error code and message. */
export class ControlPlaneError extends Error {
  readonly status: number
  readonly code: string
  constructor (status: number, code: string, message: string) {
    super(message)
    this.name = 'ControlPlaneError'
    this.status = status
    this.code = code
  }
}

export interface TarUpload {
  /** The manifest's text (YAML or JSON). */
  manifestText: string
  tar: Readable
  /** Bytes in `tar`, when known: sent as content-length (otherwise the upload is chunked). */
  size?: number
  /** Called as bytes go out. */
  onProgress?: (sentBytes: number) => void
}

export interface AppsClient {
  list(): Promise<AppSummary[]>
  get(appId: string): Promise<AppSummary>
  /** Publishes with an image tarball, streamed. */
  publishTar(upload: TarUpload): Promise<AppSummary>
  /** Publishes with an image already in the engine. */
  publishImage(body: PublishAppRequest): Promise<AppSummary>
  /** Removes an app; `force` even while grains use it. */
  remove(appId: string, force?: boolean): Promise<void>
}

export interface ControlPlaneCall { method: string, path: string, headers?: Record<string, string | number>, body?: string | Readable }

/**
 * One call to the control plane over its socket: the body (a string, or a
 * stream piped without buffering) goes out, the JSON answer comes back; a
 * non-2xx answer rejects with a `ControlPlaneError` carrying its code and message.
 */
export function controlPlaneCaller (socketPath: string, secret: string): <T>(c: ControlPlaneCall) => Promise<T> {
  return <T>(c: ControlPlaneCall): Promise<T> => new Promise((resolve, reject) => {
    let answered = false
    const req = request({ socketPath, method: c.method, path: c.path, headers: { [CONTROL_SECRET_HEADER]: secret, ...c.headers } }, (res) => {
      answered = true
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => {
        // Answered before the upload ended (a refusal): stop sending.
        if (c.body !== undefined && typeof c.body !== 'string' && !req.writableFinished) {
          c.body.unpipe(req)
          c.body.destroy()
          req.destroy()
        }
        const text = Buffer.concat(chunks).toString('utf8')
        let parsed: unknown
        try {
          parsed = text === '' ? undefined : JSON.parse(text)
        } catch {
          parsed = undefined
        }
        const status = res.statusCode ?? 0
        if (status >= 200 && status < 300) { resolve(parsed as T); return }
        const error = (parsed as { error?: { code?: string, message?: string } } | undefined)?.error
        reject(new ControlPlaneError(status, error?.code ?? `HTTP_${status}`, error?.message ?? (text.slice(0, 200) || `HTTP ${status}`)))
      })
    })
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (answered) return
      reject(new ControlPlaneError(0, 'ERR_UNREACHABLE', `cannot reach the control plane at ${socketPath}: ${err.message}`))
    })
    if (c.body === undefined || typeof c.body === 'string') req.end(c.body)
    else {
      c.body.on('error', (err) => {
        reject(err)
        req.destroy()
      })
      c.body.pipe(req)
    }
  })
}

export function appsClient (socketPath: string, secret: string): AppsClient {
  const call = controlPlaneCaller(socketPath, secret)
  return {
    list: () => call<AppSummary[]>({ method: 'GET', path: '/apps' }),
    get: (appId) => call<AppSummary>({ method: 'GET', path: `/apps/${encodeURIComponent(appId)}` }),
    publishTar (upload) {
      const header = encodeManifestHeader(upload.manifestText)
      if (header.length > MAX_MANIFEST_HEADER_BYTES) {
        return Promise.reject(new ControlPlaneError(0, 'APP_ERR_INVALID_MANIFEST', `the manifest is too large to travel with a tarball (${header.length} encoded bytes, at most ${MAX_MANIFEST_HEADER_BYTES}): load the image with \`docker load\` and publish with the image name instead`))
      }
      let sent = 0
      if (upload.onProgress !== undefined) {
        const report = upload.onProgress
        upload.tar.on('data', (chunk: Buffer) => { sent += chunk.length; report(sent) })
      }
      return call<AppSummary>({
        method: 'POST',
        path: '/apps',
        headers: {
          'content-type': 'application/x-tar',
          [MANIFEST_HEADER]: header,
          ...(upload.size !== undefined ? { 'content-length': upload.size } : {}),
        },
        body: upload.tar,
      })
    },
    publishImage: (body) => call<AppSummary>({ method: 'POST', path: '/apps', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    async remove (appId, force = false) {
      await call<undefined>({ method: 'DELETE', path: `/apps/${encodeURIComponent(appId)}${force ? '?force=true' : ''}` })
    },
  }
}
