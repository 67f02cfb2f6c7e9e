/**
 * TLS for the proxy: the admin's PEM certificate and key when configured,
 * otherwise a self-signed certificate covering the base domain and every grain
 * host under it (`<domain>`, `*.<domain>`), made once in-process
 * (`makeSelfSigned`) and kept in `<data dir>/tls`. Also the plain-HTTP server that only redirects
 * to HTTPS, and the HSTS header value.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import type { SecureContextOptions } from 'node:tls'
import { makeSelfSigned } from './self-signed.js'

/** One year; browsers then refuse plain HTTP to the shell and every grain host. */
export const HSTS_VALUE = 'max-age=31536000; includeSubDomains'
export const TLS_MIN_VERSION = 'TLSv1.2'
const SELF_SIGNED_DAYS = 825
const CERT_FILE = 'self-signed.crt'
const KEY_FILE = 'self-signed.key'

export interface TlsMaterial { cert: string, key: string, selfSigned: boolean }

/** The host name part of a `host[:port]` base domain. */
export const hostnameOf = (hostAndPort: string): string => hostAndPort.replace(/:\d+$/, '').toLowerCase()

/**
 * The certificate and key to serve. Throws with a clear message if only one of
 * cert/key is configured or a file cannot be read. The self-signed pair is
 * generated once (atomically: written aside, then renamed), so restarts and
 * concurrent starts reuse it.
 */
export async function loadTls (opts: { certFile?: string | undefined, keyFile?: string | undefined, tlsDir: string, baseDomain: string }): Promise<TlsMaterial> {
  if (opts.certFile !== undefined || opts.keyFile !== undefined) {
    if (opts.certFile === undefined || opts.keyFile === undefined) throw new Error('set both TLS_CERT_FILE and TLS_KEY_FILE, or neither')
    return { cert: readFileSync(opts.certFile, 'utf8'), key: readFileSync(opts.keyFile, 'utf8'), selfSigned: false }
  }
  const certPath = join(opts.tlsDir, CERT_FILE)
  const keyPath = join(opts.tlsDir, KEY_FILE)
  try {
    return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8'), selfSigned: true }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  mkdirSync(opts.tlsDir, { recursive: true, mode: 0o700 })
  const domain = hostnameOf(opts.baseDomain)
  const tmp = join(opts.tlsDir, `.new-${process.pid}-${Date.now()}`)
  mkdirSync(tmp, { mode: 0o700 })
  try {
    const made = await makeSelfSigned(domain, SELF_SIGNED_DAYS)
    writeFileSync(join(tmp, KEY_FILE), made.key, { mode: 0o600 })
    writeFileSync(join(tmp, CERT_FILE), made.cert, { mode: 0o644 })
    // Key first: a reader that sees the certificate always finds its key.
    renameSync(join(tmp, KEY_FILE), keyPath)
    renameSync(join(tmp, CERT_FILE), certPath)
  } catch (cause) {
    throw new Error(`cannot make a self-signed certificate in ${opts.tlsDir}`, { cause })
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
  return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8'), selfSigned: true }
}

/** Options for `https.createServer` / fastify's `https`: TLS 1.2 at least. */
export const httpsOptions = (tls: TlsMaterial): SecureContextOptions & { minVersion: 'TLSv1.2' } => ({ cert: tls.cert, key: tls.key, minVersion: TLS_MIN_VERSION })

/**
 * A plain-HTTP server that answers every request with a permanent redirect to
 * the same host and path over HTTPS on `httpsPort` (omitted when 443). It
 * reads no body and serves nothing else.
 */
export function redirectServer (httpsPort: number): Server {
  return createServer((req, res) => {
    const host = hostnameOf(req.headers.host ?? '')
    const path = (req.url ?? '/').startsWith('/') ? req.url ?? '/' : '/'
    if (!/^[a-z0-9.-]+$/.test(host)) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('bad Host header\n')
      return
    }
    const port = httpsPort === 443 ? '' : `:${httpsPort}`
    res.writeHead(308, { location: `https://${host}${port}${path}`, 'content-type': 'text/plain', connection: 'close' }).end('use HTTPS\n')
  })
}
