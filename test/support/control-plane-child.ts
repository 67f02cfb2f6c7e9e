/**
 * A control plane in a process of its own, for tests that kill it (-9) and
 * start it again: `node --import tsx test/support/control-plane-child.ts` with
 * `GRANARY_TEST_CHILD` holding JSON `ChildSettings`. It serves the fixture
 * catalog on a Unix socket and prints `listening` once it does.
 */
import { rmSync } from 'node:fs'
import { loadControlPlaneConfig } from '../../core/settings.js'
import { build } from '../../control-plane/app.js'
import { testLabels } from './docker.js'
import { fixtureCatalog, TEST_SECRET } from './grains.js'

export interface ChildSettings {
  redisUrl: string
  redisKeyPrefix: string
  runId: string
  network: string
  dataDir: string
  socketPath: string
  startTimeoutMs: number
}

const s = JSON.parse(process.env.GRANARY_TEST_CHILD ?? '{}') as ChildSettings
const config = loadControlPlaneConfig({ GRANARY_DATA_DIR: s.dataDir, GRAIN_START_TIMEOUT_MS: String(s.startTimeoutMs) })
const app = await build({
  config, secret: TEST_SECRET, redisUrl: s.redisUrl, redisKeyPrefix: s.redisKeyPrefix, catalog: fixtureCatalog(),
  grainLabels: testLabels(s.runId), grainNetwork: s.network, sweepIntervalMs: 0,
})
process.once('SIGTERM', () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
rmSync(s.socketPath, { force: true })
await app.listen({ path: s.socketPath })
process.stdout.write('listening\n')
