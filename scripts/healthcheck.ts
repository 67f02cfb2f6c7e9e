/**
 * Container health check: `node dist/scripts/healthcheck.js proxy|control-plane`.
 * Exits 0 when the service's `/healthz` answers 200 within the timeout, 1
 * otherwise. Reads the same settings as the service (environment, `*_FILE`),
 * so it probes exactly what the service listens on:
 * - proxy: `https://127.0.0.1:$PORT/healthz` (certificate not checked: it is
 *   the service's own, possibly self-signed), falling back to plain HTTP while
 *   the proxy serves no TLS;
 * - control plane: `/healthz` over its Unix socket, with the shared secret.
 */
import { request as httpRequest, type RequestOptions } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { readFileSync } from 'node:fs'
import { CONTROL_SECRET_HEADER } from '../core/control-plane-protocol.js'
import { dataPaths } from '../core/paths.js'
import { loadControlPlaneConfig, loadProxyConfig } from '../core/settings.js'

const TIMEOUT_MS = 4000

function probe (tls: boolean, options: RequestOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = (tls ? httpsRequest : httpRequest)({ ...options, method: 'GET', path: '/healthz', timeout: TIMEOUT_MS, ...(tls ? { rejectUnauthorized: false } : {}) }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end()
  })
}

async function check (service: string): Promise<number> {
  if (service === 'proxy') {
    const config = loadProxyConfig(process.env)
    const target = { host: '127.0.0.1', port: config.port }
    try {
      return await probe(true, target)
    } catch {
      return await probe(false, target)
    }
  }
  if (service === 'control-plane') {
    const config = loadControlPlaneConfig(process.env)
    const paths = dataPaths(config.dataDir)
    const secret = config.controlPlaneSecret ?? readFileSync(paths.controlPlaneSecret, 'utf8').trim()
    return await probe(false, { socketPath: config.controlPlaneSocket ?? paths.controlPlaneSocket, headers: { [CONTROL_SECRET_HEADER]: secret } })
  }
  throw new Error(`usage: healthcheck proxy|control-plane (got ${JSON.stringify(service)})`)
}

try {
  const status = await check(process.argv[2] ?? '')
  process.stdout.write(`healthz: ${status}\n`)
  process.exit(status === 200 ? 0 : 1)
} catch (err) {
  process.stdout.write(`healthz: ${(err as Error).message}\n`)
  process.exit(1)
}
