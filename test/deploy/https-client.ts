/**
 * A small HTTPS client for talking to a deployed proxy from a test: every
 * request goes to 127.0.0.1 on the proxy's port, with the Host header and TLS
 * server name of the shell or of a grain (`<id>.localhost`), so no DNS is
 * needed. The proxy's certificate is its own (maybe self-signed): not checked.
 * Cookies are kept per host name, like a browser.
 */
import { request } from 'node:https'

export interface Answer { status: number, headers: Record<string, string | string[] | undefined>, body: string, json: <T = unknown>() => T }

export class HttpsClient {
  private readonly cookies = new Map<string, Map<string, string>>()

  constructor (private readonly port: number, private readonly shellHost = 'localhost') {}

  /** A request to the shell (`path` starting with /) or to an absolute https URL on the proxy. */
  async send (method: string, target: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const url = new URL(target, `https://${this.shellHost}:${this.port}`)
    const jar = this.cookies.get(url.hostname) ?? new Map<string, string>()
    this.cookies.set(url.hostname, jar)
    const payload = body === undefined ? undefined : JSON.stringify(body)
    return new Promise((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port: this.port,
        method,
        path: url.pathname + url.search,
        servername: url.hostname,
        rejectUnauthorized: false,
        headers: {
          host: `${url.hostname}:${this.port}`,
          ...(jar.size > 0 ? { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
      }, (res) => {
        for (const line of [res.headers['set-cookie'] ?? []].flat()) {
          const [pair = ''] = line.split(';')
          const eq = pair.indexOf('=')
          if (eq > 0) {
            const value = pair.slice(eq + 1)
            if (value === '' || /max-age=0/i.test(line)) jar.delete(pair.slice(0, eq).trim())
            else jar.set(pair.slice(0, eq).trim(), value)
          }
        }
        let text = ''
        res.on('data', (c: Buffer) => { text += c.toString() })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: <T>() => JSON.parse(text) as T }))
      })
      req.on('error', reject)
      req.end(payload)
    })
  }

  /** Follows a one-time grain URL (handoff) and its redirects on the grain's origin; returns the grain's origin. */
  async openGrain (handoffUrl: string): Promise<string> {
    let url = handoffUrl
    for (let i = 0; i < 5; i++) {
      const res = await this.send('GET', url)
      const location = res.headers.location
      if (res.status < 300 || res.status >= 400 || typeof location !== 'string') break
      url = new URL(location, url).href
    }
    return new URL(handoffUrl).origin
  }
}
