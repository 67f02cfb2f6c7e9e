/**
 * Container health check: `node dist/scripts/healthcheck.js proxy|control-plane|grain-firewall`.
 * Exits 0 when the service is healthy, 1 otherwise. Reads the same settings as
 * the service (environment, `*_FILE`), so it probes exactly what the service
 * serves:
 * - proxy: `https://127.0.0.1:$PORT/healthz` answers 200 (certificate not
 *   checked: it is the service's own, possibly self-signed), falling back to
 *   plain HTTP while the proxy serves no TLS;
 * - control plane: `/healthz` over its Unix socket, with the shared secret,
 *   answers 200;
 * - grain firewall: the iptables rule for GRAIN_NETWORK's bridge is in place.
 */
import { request as httpRequest, type RequestOptions } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { readFileSync } from 'node:fs'
import { CONTROL_SECRET_HEADER } from '../core/control-plane-protocol.js'
import { dataPaths } from '../core/paths.js'
import { loadControlPlaneConfig, loadGrainFirewallConfig, loadProxyConfig } from '../core/settings.js'
import { bridgeNameFor, grainsBlockedFromHost } from '../control-plane/host-firewall.js'

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

interface Health { ok: boolean, detail: string }

const healthz = (status: number): Health => ({ ok: status === 200, detail: `healthz: ${status}` })

async function check (service: string): Promise<Health> {
  if (service === 'proxy') {
    const config = loadProxyConfig(process.env)
    const target = { host: '127.0.0.1', port: config.port }
    try {
      return healthz(await probe(true, target))
    } catch {
      return healthz(await probe(false, target))
    }
  }
  if (service === 'control-plane') {
    const config = loadControlPlaneConfig(process.env)
    const paths = dataPaths(config.dataDir)
    const secret = config.controlPlaneSecret ?? readFileSync(paths.controlPlaneSecret, 'utf8').trim()
    return healthz(await probe(false, { socketPath: config.controlPlaneSocket ?? paths.controlPlaneSocket, headers: { [CONTROL_SECRET_HEADER]: secret } }))
  }
  if (service === 'grain-firewall') {
    const bridge = bridgeNameFor(loadGrainFirewallConfig(process.env).grainNetwork)
    const ok = await grainsBlockedFromHost(bridge)
    return { ok, detail: `iptables rule for ${bridge}: ${ok ? 'in place' : 'missing'}` }
  }
  throw new Error(`usage: healthcheck proxy|control-plane|grain-firewall (got ${JSON.stringify(service)})`)
}

try {
  const health = await check(process.argv[2] ?? '')
  process.stdout.write(`${health.detail}\n`)
  process.exit(health.ok ? 0 : 1)
} catch (err) {
  process.stdout.write(`unhealthy: ${(err as Error).message}\n`)
  process.exit(1)
}
