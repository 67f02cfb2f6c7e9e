/**
 * Grain fixtures for control plane tests: literal manifests of the fixture
 * images (`grain-images/hello`, `grain-images/hello-broken`), a catalog of
 * them, and an isolated control plane (own labels, own network, own data
 * directory, own Redis key prefix) that is torn down in `t.after`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { CONTROL_SECRET_HEADER } from '../../core/control-plane-protocol.js'
import type { Manifest } from '../../core/manifest/schema.js'
import { loadControlPlaneConfig } from '../../core/settings.js'
import { staticAppCatalog, type AppCatalog, type CatalogEntry } from '../../control-plane/app-catalog.js'
import { build } from '../../control-plane/app.js'
import { bridgeNameFor, unblockGrainsFromHost } from '../../control-plane/host-firewall.js'
import { removeTestResources, testLabels } from './docker.js'
import { testRedisUrl, testRunId, uniquePrefix } from './env.js'

export const HELLO_IMAGE = 'granary/hello:local'
export const BROKEN_IMAGE = 'granary/hello-broken:local'
export const TEST_SECRET = 's'.repeat(64)

export function helloManifest (overrides: Partial<Manifest> = {}): Manifest {
  return {
    id: 'hello',
    name: 'Hello',
    version: '1.0.0',
    image: HELLO_IMAGE,
    port: 8000,
    dataPath: '/data',
    permissions: [{ id: 'read', title: 'Read' }],
    roles: [{ id: 'viewer', title: 'Viewer', permissions: ['read'] }],
    actions: [{ id: 'new', title: 'New hello' }],
    limits: { memoryMb: 64, cpus: 0.5, pids: 64 },
    ...overrides,
  }
}

export const fixtureCatalog = (): AppCatalog & { set(entry: CatalogEntry): void } => staticAppCatalog([
  { manifest: helloManifest(), imageId: HELLO_IMAGE },
  { manifest: helloManifest({ id: 'hello-broken', name: 'Broken', image: BROKEN_IMAGE }), imageId: BROKEN_IMAGE },
])

/** Removes a test run's containers and networks and the host firewall rule of its grain network. */
export async function removeGrainWorld (runId: string, network: string): Promise<void> {
  await removeTestResources(runId)
  await unblockGrainsFromHost(bridgeNameFor(network))
}

export interface TestControlPlane {
  app: FastifyInstance
  runId: string
  network: string
  dataDir: string
  redisKeyPrefix: string
  catalog: AppCatalog & { set(entry: CatalogEntry): void }
  call(method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown): Promise<{ status: number, body: any }>
  /** Creates a grain of `appId` and answers its id. */
  createGrain(appId?: string): Promise<string>
}

export interface TestControlPlaneOptions {
  env?: Record<string, string>
  /** Reuse another instance's world (labels, network, data, Redis keys): a "restarted" control plane. */
  sameWorldAs?: TestControlPlane
  sweepIntervalMs?: number
  catalog?: AppCatalog & { set(entry: CatalogEntry): void }
}

export async function testControlPlane (t: TestContext, opts: TestControlPlaneOptions = {}): Promise<TestControlPlane> {
  const same = opts.sameWorldAs
  const runId = same?.runId ?? testRunId()
  const network = same?.network ?? `granary-test-${runId}`
  const dataDir = same?.dataDir ?? mkdtempSync(join(tmpdir(), 'granary-cp-'))
  const redisKeyPrefix = same?.redisKeyPrefix ?? uniquePrefix()
  const catalog = opts.catalog ?? same?.catalog ?? fixtureCatalog()
  const config = loadControlPlaneConfig({ GRANARY_DATA_DIR: dataDir, GRAIN_START_TIMEOUT_MS: '10000', ...opts.env })
  const app = await build({
    config, secret: TEST_SECRET, redisUrl: testRedisUrl(), redisKeyPrefix, catalog,
    grainLabels: testLabels(runId), grainNetwork: network, sweepIntervalMs: opts.sweepIntervalMs ?? 0,
  })
  t.after(async () => {
    await app.close()
    if (same === undefined) {
      await removeGrainWorld(runId, network)
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
  const call: TestControlPlane['call'] = async (method, url, body) => {
    const res = await app.inject({ method, url, headers: { [CONTROL_SECRET_HEADER]: TEST_SECRET }, ...(body !== undefined ? { payload: body as object } : {}) })
    return { status: res.statusCode, body: res.body === '' ? undefined : (String(res.headers['content-type'] ?? '').includes('json') ? res.json() : res.body) }
  }
  return {
    app, runId, network, dataDir, redisKeyPrefix, catalog, call,
    async createGrain (appId = 'hello') {
      const res = await call('POST', '/grains', { appId, title: 'test grain', owner: 'owner2345abcd' })
      if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`)
      return res.body.id as string
    },
  }
}

/** GET http://host:port/path from the host; answers status and parsed JSON. */
export async function getJson (address: { host: string, port: number }, path = '/', headers: Record<string, string> = {}): Promise<{ status: number, body: any }> {
  const res = await fetch(`http://${address.host}:${address.port}${path}`, { headers })
  return { status: res.status, body: await res.json() }
}

/** Polls `probe` every 50 ms until it answers true; fails after `timeoutMs` naming `what`. */
export async function waitUntil (what: string, probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** A test control plane listening on a Unix socket of its own (for clients that stream, like the proxy's forwards). */
export async function testControlPlaneOnSocket (t: TestContext, opts: TestControlPlaneOptions = {}): Promise<TestControlPlane & { socket: string }> {
  const cp = await testControlPlane(t, opts)
  const dir = mkdtempSync(join(tmpdir(), 'granary-cp-socket-'))
  const socket = join(dir, 'cp.sock')
  await cp.app.listen({ path: socket })
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return { ...cp, socket }
}
