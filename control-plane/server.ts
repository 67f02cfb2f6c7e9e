/** Entry point: `node control-plane/server.js`. Listens on a Unix socket only the proxy can reach. */
import { chmodSync, rmSync } from 'node:fs'
import { dataPaths } from '../core/paths.js'
import { ensureSecretFile } from '../core/secrets.js'
import { loadControlPlaneConfig } from '../core/settings.js'
import { closeOnSignals, loadOrExit, loggerOptions } from '../core/start.js'
import { build } from './app.js'
import { staticAppCatalog } from './app-catalog.js'

const config = loadOrExit('control-plane', () => loadControlPlaneConfig(process.env))
const paths = dataPaths(config.dataDir)
const socketPath = config.controlPlaneSocket ?? paths.controlPlaneSocket
const secret = config.controlPlaneSecret ?? ensureSecretFile(paths.controlPlaneSecret)

// TODO(apps): once core/apps.ts is merged, pass `(redis) => catalogFromAppStore(redisAppStore(redis))`; until then no app is installed.
const catalog = staticAppCatalog([])
const app = await build({ config, secret, catalog, logger: loggerOptions(config.logLevel) })
closeOnSignals(app)
rmSync(socketPath, { force: true })
await app.listen({ path: socketPath })
chmodSync(socketPath, 0o600)
app.log.info({ socketPath }, 'control plane listening')
