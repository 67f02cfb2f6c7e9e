/** Entry point: `node proxy/server.js`. Prints the URL to open and writes it to `<data dir>/proxy.url`. */
import { writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { dataPaths } from '../core/paths.js'
import { ensureSecretFile } from '../core/secrets.js'
import { loadProxyConfig } from '../core/settings.js'
import { closeOnSignals, loadOrExit, loggerOptions } from '../core/start.js'
import { build } from './app.js'
import { controlPlaneClient } from './control-plane-client.js'

const config = loadOrExit('proxy', () => loadProxyConfig(process.env))
const paths = dataPaths(config.dataDir)
const controlPlane = controlPlaneClient(
  config.controlPlaneSocket ?? paths.controlPlaneSocket,
  config.controlPlaneSecret ?? ensureSecretFile(paths.controlPlaneSecret),
)

const app = await build({ config, controlPlane, logger: loggerOptions(config.logLevel) })
closeOnSignals(app)
await app.listen({ host: config.host, port: config.port })
const port = config.publicPort ?? (app.server.address() as AddressInfo).port
const url = `http://${config.baseDomain}:${port}/`
writeFileSync(paths.proxyUrl, url + '\n')
app.log.info({ url }, 'proxy listening')
