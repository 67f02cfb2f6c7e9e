/**
 * Grain lifecycle benchmark (`npm run bench:grains`), on the real Docker engine
 * with the `hello` fixture app, the control plane built in-process:
 *
 * - cold start: wake call → first byte from the app, against the baseline of a
 *   bare `docker start` of the same stopped container + polling the same app
 *   to its first byte, alternated in the same run (goal: ≤ 1.2×);
 * - 100 concurrent requests (wake + GET) to one sleeping grain;
 * - wake of a paused grain → first byte, p50 (goal ≤ 50 ms), with `docker unpause` as baseline;
 * - 100 grains running at once: the control plane process's RSS;
 * - 1,000 grains registered: RSS (goal < 200 MB).
 *
 * Prints its figures last as one JSON line and rewrites bench/RESULTS.md's "Grains" section.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CONTROL_SECRET_HEADER, type WakeAnswer } from '../core/control-plane-protocol.js'
import { loadControlPlaneConfig } from '../core/settings.js'
import { build } from '../control-plane/app.js'
import { LABELS } from '../control-plane/docker.js'
import { docker, testLabels } from '../test/support/docker.js'
import { testRunId, uniquePrefix } from '../test/support/env.js'
import { fixtureCatalog, removeGrainWorld, TEST_SECRET } from '../test/support/grains.js'
import { writeResultsSection } from './results.js'

const COLD_ROUNDS = 7
const PAUSED_ROUNDS = 25
const CONCURRENT_REQUESTS = 100
const RUNNING_GRAINS = 100
const REGISTERED_GRAINS = 1000
const POLL_MS = 5

const redisUrl = process.env.REDIS_URL
if (redisUrl === undefined) throw new Error('run through `npm run bench:grains` (it provisions Redis)')

const runId = testRunId()
const dataDir = mkdtempSync(join(tmpdir(), 'granary-bench-'))
const config = loadControlPlaneConfig({ GRANARY_DATA_DIR: dataDir, GRAIN_PAUSE_AFTER_MS: '1', GRAIN_START_TIMEOUT_MS: '60000', GRAIN_IDLE_TIMEOUT_MS: '3600000' })
const network = `granary-bench-${runId}`
const app = await build({ config, secret: TEST_SECRET, redisUrl, redisKeyPrefix: uniquePrefix(), catalog: fixtureCatalog(), grainLabels: testLabels(runId), grainNetwork: network, sweepIntervalMs: 0 })

async function cleanup (): Promise<void> {
  await app.close()
  await removeGrainWorld(runId, network)
  rmSync(dataDir, { recursive: true, force: true })
}
process.once('SIGINT', () => { cleanup().finally(() => process.exit(130)) })

const ms = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e6
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]! }
const round = (x: number, digits = 1): number => Number(x.toFixed(digits))
const mb = (bytes: number): number => round(bytes / 1024 / 1024)

async function call<T = unknown> (method: string, url: string, body?: unknown): Promise<{ status: number, body: T }> {
  const res = await app.inject({ method: method as 'GET', url, headers: { [CONTROL_SECRET_HEADER]: TEST_SECRET }, ...(body !== undefined ? { payload: body as object } : {}) })
  return { status: res.statusCode, body: (res.body === '' ? undefined : res.json()) as T }
}

/** One GET; resolves at the first byte of the response body. */
function firstByte (a: WakeAnswer): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: a.host, port: a.port, path: '/', agent: false }, (res) => {
      res.once('data', () => { resolve(true); res.resume() })
      res.once('error', () => resolve(false))
    })
    req.once('error', () => resolve(false))
    req.end()
  })
}

async function createGrain (): Promise<string> {
  const res = await call<{ id: string }>('POST', '/grains', { appId: 'hello', title: 'bench', owner: 'benchowner234' })
  if (res.status !== 201) throw new Error(`create failed: ${JSON.stringify(res.body)}`)
  return res.body.id
}

async function wake (id: string): Promise<WakeAnswer> {
  const res = await call<WakeAnswer>('POST', `/grains/${id}/wake`)
  if (res.status !== 200) throw new Error(`wake failed: ${JSON.stringify(res.body)}`)
  return res.body
}

async function containerOf (id: string): Promise<string> {
  const [c] = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABELS.grain}=${id}`] }) })
  if (c === undefined) throw new Error('no container')
  return c.Id
}

try {
  // Cold start vs docker start, alternated on the same stopped container.
  const grain = await createGrain()
  await wake(grain)
  await call('POST', `/grains/${grain}/stop`)
  const containerId = await containerOf(grain)
  const container = docker.getContainer(containerId)
  const ours: number[] = []
  const baseline: number[] = []
  for (let i = 0; i < COLD_ROUNDS; i++) {
    let t = process.hrtime.bigint()
    const a = await wake(grain)
    if (!await firstByte(a)) throw new Error('no first byte after wake')
    ours.push(ms(t))
    await call('POST', `/grains/${grain}/stop`)

    t = process.hrtime.bigint()
    await container.start()
    const info = await container.inspect()
    const addr = { host: Object.values(info.NetworkSettings.Networks)[0]!.IPAddress, port: 8000 }
    while (!await firstByte(addr)) await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    baseline.push(ms(t))
    await container.stop({ t: 5 })
  }

  // 100 concurrent requests to the sleeping grain: every one wakes it, then reads from it.
  let t = process.hrtime.bigint()
  const results = await Promise.all(Array.from({ length: CONCURRENT_REQUESTS }, async () => firstByte(await wake(grain))))
  const concurrentMs = ms(t)
  if (results.some((ok) => !ok)) throw new Error('a concurrent request failed')
  const containersAfterConcurrent = (await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABELS.grain}=${grain}`] }) })).length

  // Paused wake to first byte, and a bare docker unpause + GET as baseline.
  const pausedOurs: number[] = []
  const pausedBaseline: number[] = []
  const address = await wake(grain)
  for (let i = 0; i < PAUSED_ROUNDS; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5))
    await app.lifecycle.sweep()
    if ((await call<{ state: string }>('GET', `/grains/${grain}/state`)).body.state !== 'paused') throw new Error('the grain did not pause')
    t = process.hrtime.bigint()
    if (!await firstByte(await wake(grain))) throw new Error('no first byte after unpause')
    pausedOurs.push(ms(t))

    await container.pause()
    t = process.hrtime.bigint()
    await container.unpause()
    await firstByte(address)
    pausedBaseline.push(ms(t))
  }

  // 100 grains running at once.
  const ids = [grain, ...await Promise.all(Array.from({ length: RUNNING_GRAINS - 1 }, createGrain))]
  t = process.hrtime.bigint()
  for (let i = 0; i < ids.length; i += 10) await Promise.all(ids.slice(i, i + 10).map(wake))
  const start100Ms = ms(t)
  const running = (await call<{ state: string }[]>('GET', '/grains/states')).body.filter((s) => s.state === 'running').length
  const rss100 = process.memoryUsage().rss

  // 1,000 grains registered (records only).
  for (let i = ids.length; i < REGISTERED_GRAINS; i += 50) await Promise.all(Array.from({ length: Math.min(50, REGISTERED_GRAINS - i) }, createGrain))
  const listed = (await call<unknown[]>('GET', '/grains')).body.length
  const rss1000 = process.memoryUsage().rss

  const figures = {
    cold_start_p50_ms: round(median(ours)),
    docker_start_baseline_p50_ms: round(median(baseline)),
    cold_start_ratio: round(median(ours) / median(baseline), 2),
    concurrent_100_requests_sleeping_grain_ms: round(concurrentMs),
    containers_after_concurrent: containersAfterConcurrent,
    paused_wake_p50_ms: round(median(pausedOurs), 2),
    docker_unpause_baseline_p50_ms: round(median(pausedBaseline), 2),
    start_100_grains_ms: round(start100Ms),
    grains_running: running,
    rss_100_running_mb: mb(rss100),
    grains_registered: listed,
    rss_1000_registered_mb: mb(rss1000),
  }
  const ok = (b: boolean): string => (b ? 'met' : 'NOT met')
  writeResultsSection('Grains', `
Run ${new Date().toISOString().slice(0, 10)} on the build machine (2 cores, 24 GiB, Docker ${(await docker.version()).Version}), \`npm run bench:grains\`, app \`hello\` (node:http), control plane in-process.

| measure | result | baseline (same run) | goal |
| --- | --- | --- | --- |
| cold start: wake → first byte (p50 of ${COLD_ROUNDS}) | ${figures.cold_start_p50_ms} ms | \`docker start\` + boot to first byte: ${figures.docker_start_baseline_p50_ms} ms (ratio ${figures.cold_start_ratio}×) | ≤ 1.2×: ${ok(figures.cold_start_ratio <= 1.2)} |
| ${CONCURRENT_REQUESTS} concurrent requests to a sleeping grain | all answered in ${figures.concurrent_100_requests_sleeping_grain_ms} ms, ${containersAfterConcurrent} container | | one container: ${ok(containersAfterConcurrent === 1)} |
| paused grain: wake → first byte (p50 of ${PAUSED_ROUNDS}) | ${figures.paused_wake_p50_ms} ms | \`docker unpause\` + GET: ${figures.docker_unpause_baseline_p50_ms} ms | ≤ 50 ms: ${ok(figures.paused_wake_p50_ms <= 50)} |
| ${RUNNING_GRAINS} grains running at once | started in ${figures.start_100_grains_ms} ms (10 at a time); RSS ${figures.rss_100_running_mb} MB | | |
| ${REGISTERED_GRAINS} grains registered | RSS ${figures.rss_1000_registered_mb} MB | | < 200 MB: ${ok(figures.rss_1000_registered_mb < 200)} |

RSS is the whole benchmark process (control plane + the benchmark's own client), so it overstates the control plane alone.
`)
  await cleanup()
  process.stdout.write(JSON.stringify(figures) + '\n')
} catch (err) {
  await cleanup()
  throw err
}
