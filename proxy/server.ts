/** Entry point: `node proxy/server.js`. Prints the URL to open and writes it to `<data dir>/proxy.url`. */
import { writeFileSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dataPaths } from '../core/paths.js'
import { ensureSecretFile } from '../core/secrets.js'
import { loadProxyConfig } from '../core/settings.js'
import { closeOnSignals, loadOrExit, loggerOptions } from '../core/start.js'
import { build } from './app.js'
import { parseOidcProviders } from './auth/oidc-providers.js'
import { controlPlaneClient } from './control-plane-client.js'
import { appsClient } from '../core/apps-client.js'
import { grainArchiveClient } from '../core/grain-archive-client.js'
import { hostnameOf, loadTls, redirectServer } from './tls.js'

const config = loadOrExit('proxy', () => loadProxyConfig(process.env))
const oidcProviders = loadOrExit('proxy', () => parseOidcProviders(config.oidcProviders))
const paths = dataPaths(config.dataDir)
const controlPlaneSocket = config.controlPlaneSocket ?? paths.controlPlaneSocket
const controlPlaneSecret = config.controlPlaneSecret ?? ensureSecretFile(paths.controlPlaneSecret)
const controlPlane = controlPlaneClient(controlPlaneSocket, controlPlaneSecret)
const tls = await loadTls({ certFile: config.tlsCert, keyFile: config.tlsKey, tlsDir: paths.tls, baseDomain: config.baseDomain })

const app = await build({ config, controlPlane, appsPublisher: appsClient(controlPlaneSocket, controlPlaneSecret), grainArchives: grainArchiveClient(controlPlaneSocket, controlPlaneSecret), tls, oidcProviders, serverSecret: ensureSecretFile(paths.proxySecret), logger: loggerOptions(config.logLevel) })
closeOnSignals(app)
const plainServer: { redirect?: Server } = {}
app.addHook('onClose', (_app, done) => { if (plainServer.redirect === undefined) done(); else plainServer.redirect.close(() => done()) })
await app.listen({ host: config.host, port: config.port })
const port = config.publicPort ?? (app.server.address() as AddressInfo).port

const plain = redirectServer(port)
plainServer.redirect = plain
await new Promise<void>((resolve, reject) => {
  plain.once('error', reject)
  plain.listen(config.httpPort, config.host, () => resolve())
})

const url = `https://${hostnameOf(config.baseDomain)}${port === 443 ? '' : `:${port}`}/`
if (app.setupToken !== undefined) {
  // The admin has no password yet: whoever opens this link first chooses it.
  const setupUrl = `${url}setup#${app.setupToken}`
  writeFileSync(paths.setupUrl, setupUrl + '\n', { mode: 0o600 })
  app.log.warn({ setupUrl }, 'open the setup link to choose the admin password')
}
writeFileSync(paths.proxyUrl, url + '\n')
app.log.info({ url, selfSigned: tls.selfSigned, httpPort: (plain.address() as AddressInfo).port }, 'proxy listening')
