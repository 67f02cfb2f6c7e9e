/** Entry point: `node control-plane/server.js`. Listens on a Unix socket only the proxy can reach. */
import { chmodSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dataPaths } from '../core/paths.js'
import { ensureSecretFile } from '../core/secrets.js'
import { loadControlPlaneConfig } from '../core/settings.js'
import { closeOnSignals, loadOrExit, loggerOptions } from '../core/start.js'
import { build } from './app.js'
import { LABELS } from './docker.js'
import { seedApps } from './seed-apps.js'

const config = loadOrExit('control-plane', () => loadControlPlaneConfig(process.env))
const paths = dataPaths(config.dataDir)
const socketPath = config.controlPlaneSocket ?? paths.controlPlaneSocket
const secret = config.controlPlaneSecret ?? ensureSecretFile(paths.controlPlaneSecret)

const app = await build({
  config,
  secret,
  logger: loggerOptions(config.logLevel),
  ...(config.instanceId !== undefined ? { grainLabels: { [LABELS.instance]: config.instanceId } } : {}),
})
closeOnSignals(app)
try {
  await seedApps({ apps: app.apps, docker: app.docker, dir: fileURLToPath(new URL('../manifests/', import.meta.url)), log: app.log })
} catch (err) {
  app.log.warn({ err }, 'could not register the example apps')
}
rmSync(socketPath, { force: true })
await app.listen({ path: socketPath })
chmodSync(socketPath, 0o600)
app.log.info({ socketPath }, 'control plane listening')
