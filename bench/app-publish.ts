/**
 * Benchmark: publishing an app with an image tarball through the control
 * plane's Unix socket, against the baseline of loading the same tarball into
 * the engine directly with dockerode, in the same run. Also samples the
 * process's resident memory during the uploads, to show the tarball streams
 * rather than being held in memory.
 *
 *   npm run bench:apps        (needs Docker and granary/notes:local; Redis from REDIS_URL or a private one)
 *
 * Prints its figures last, as one line of JSON.
 */
import { spawn } from 'node:child_process'
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import Docker from 'dockerode'
import YAML from 'yaml'
import { build } from '../control-plane/app.js'
import { appsClient } from '../core/apps-client.js'
import { loadControlPlaneConfig } from '../core/settings.js'

const ROUNDS = 5
const SOURCE = 'granary/notes:local'
const docker = new Docker()
const dir = mkdtempSync(join(tmpdir(), 'granary-bench-'))
const runId = Math.random().toString(16).slice(2, 10)
const repo = `granary-bench-${runId}/notes`

async function privateRedis (): Promise<{ url: string, stop: () => void }> {
  if (process.env.REDIS_URL !== undefined && process.env.REDIS_URL !== '') return { url: process.env.REDIS_URL, stop: () => undefined }
  const sock = join(dir, 'redis.sock')
  const child = spawn('redis-server', ['--port', '0', '--unixsocket', sock, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  for (let i = 0; i < 100 && !(await import('node:fs')).existsSync(sock); i++) await new Promise((resolve) => setTimeout(resolve, 50))
  return { url: `redis+unix://${sock}`, stop: () => child.kill() }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN

async function drain (stream: NodeJS.ReadableStream): Promise<void> {
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => err !== null ? reject(err) : resolve()))
}

const redis = await privateRedis()
const secret = 'b'.repeat(64)
const app = await build({ config: loadControlPlaneConfig({}), secret, redisUrl: redis.url, redisKeyPrefix: `bench:${runId}:` })
const socketPath = join(dir, 'cp.sock')
await app.listen({ path: socketPath })
const client = appsClient(socketPath, secret)

try {
  await docker.getImage(SOURCE).tag({ repo, tag: 'bench' })
  const tarPath = join(dir, 'image.tar')
  await pipeline(await docker.getImage(`${repo}:bench`).get(), createWriteStream(tarPath))
  const bytes = statSync(tarPath).size
  const manifest = YAML.parse(`id: bench-notes\nname: Bench\nversion: 1.0.0\nimage: ${repo}:bench\nport: 8000\ndataPath: /data\npermissions: [{id: read, title: Read}]\nroles: [{id: viewer, title: V, permissions: [read], default: true}]\nactions: [{id: new, title: New}]\n`) as Record<string, unknown>

  const baseline: number[] = []
  const published: number[] = []
  let peakRss = 0
  const rssBefore = process.memoryUsage().rss
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss) }, 20)
  for (let i = 0; i < ROUNDS; i++) {
    let t0 = performance.now()
    await drain(await docker.loadImage(createReadStream(tarPath), { quiet: true }))
    baseline.push(performance.now() - t0)
    t0 = performance.now()
    await client.publishTar({ manifestText: JSON.stringify({ ...manifest, version: `1.0.${i}` }), tar: createReadStream(tarPath), size: bytes })
    published.push(performance.now() - t0)
  }
  clearInterval(sampler)
  const result = {
    image_mib: Number((bytes / 1048576).toFixed(1)),
    rounds: ROUNDS,
    baseline_docker_load_median_ms: Number(median(baseline).toFixed(0)),
    publish_via_control_plane_median_ms: Number(median(published).toFixed(0)),
    overhead_ratio: Number((median(published) / median(baseline)).toFixed(2)),
    publish_throughput_mib_per_s: Number((bytes / 1048576 / (median(published) / 1000)).toFixed(0)),
    peak_rss_growth_mib: Number(((peakRss - rssBefore) / 1048576).toFixed(1)),
  }
  process.stdout.write(JSON.stringify(result) + '\n')
} finally {
  await app.close()
  await docker.getImage(`${repo}:bench`).remove({ noprune: true }).catch(() => undefined)
  redis.stop()
  rmSync(dir, { recursive: true, force: true })
}
