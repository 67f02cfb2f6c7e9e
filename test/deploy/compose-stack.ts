/**
 * A throw-away docker compose installation of Granary for tests: the real
 * docker-compose.yml, images built from the local base image (no registry),
 * a unique project name, free loopback ports, its own data directory and grain
 * network, and test labels on everything so `remove()` leaves nothing behind.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chownSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { bridgeNameFor, unblockGrainsFromHost } from '../../control-plane/host-firewall.js'
import { docker, testLabels } from '../support/docker.js'
import { ADMIN_PASSWORD } from './api-flow.js'

const run = promisify(execFile)
export const ROOT = resolve(import.meta.dirname, '../..')
const GRAIN_USER = 1000
const HEALTH_TIMEOUT_MS = 90_000
/** Every service in docker-compose.yml: the stack is up when each has one healthy container. */
const SERVICES = ['redis', 'grain-firewall', 'control-plane', 'proxy']

/** `docker compose` (v2) when it answers, else Debian's `docker-compose` (v1), installed when missing. */
export function composeCommand (): string[] {
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return ['docker', 'compose']
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status !== 0) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env })
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'docker-compose'], { stdio: 'ignore', env })
  }
  return ['docker-compose']
}

async function freePort (): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolvePort(port))
    })
  })
}

export interface ComposeStack {
  runId: string
  project: string
  dir: string
  dataDir: string
  httpsPort: number
  redisPort: number
  redisPassword: string
  /** The Docker network the control plane puts grains on (GRAIN_NETWORK). */
  grainNetwork: string
  /** The full compose command line for this stack (what GRANARY_COMPOSE takes). */
  composeArgs: string[]
  /** The environment to run compose (and scripts calling it) in: without the stack's own variables. */
  cleanEnv: NodeJS.ProcessEnv
  compose (...args: string[]): Promise<string>
  waitHealthy (): Promise<void>
  /** Everything gone, as on a new machine: containers, volumes, grain containers, the data directory. */
  wipe (): Promise<void>
  remove (): Promise<void>
}

export async function composeStack (runId: string): Promise<ComposeStack> {
  const project = `granary-test-${runId}`
  const dir = join(tmpdir(), project)
  const dataDir = join(dir, 'data')
  mkdirSync(dataDir, { recursive: true })
  chownSync(dataDir, GRAIN_USER, GRAIN_USER)
  const [httpsPort, httpPort, redisPort] = [await freePort(), await freePort(), await freePort()]
  // No certificate given: the proxy makes its self-signed one in the data
  // directory, in-process (the prebuilt images have no openssl). The mounted
  // TLS directory stays empty.
  const tlsDir = join(dir, 'tls')
  mkdirSync(tlsDir)
  const redisPassword = randomBytes(16).toString('hex')
  const env = {
    GRANARY_DATA_DIR: dataDir,
    DOCKER_GID: String(statSync('/var/run/docker.sock').gid),
    REDIS_PASSWORD: redisPassword,
    CONTROL_PLANE_SECRET: randomBytes(32).toString('hex'),
    HOST: '127.0.0.1',
    HTTPS_PORT: String(httpsPort),
    HTTP_PORT: String(httpPort),
    PROXY_USER: `${GRAIN_USER}:${GRAIN_USER}`,
    REDIS_PORT: String(redisPort),
    GRAIN_NETWORK: `${project}-grains`,
    // The grain firewall puts its rule back within a second of its removal.
    GRAIN_FIREWALL_CHECK_MS: '1000',
    ADMIN_PASSWORD,
    GRANARY_PROXY_IMAGE: `granary/proxy:${project}`,
    GRANARY_CONTROL_PLANE_IMAGE: `granary/control-plane:${project}`,
    REDIS_IMAGE: 'granary/redis:local',
    NODE_BASE: 'granary/node-base:local',
    GRANARY_BUILD_TARGET: 'prebuilt',
    GRANARY_BUILD_CONTEXT: join(ROOT, '.tmp', 'image-context'),
    GRANARY_TLS_DIR: tlsDir,
    TLS_CERT_FILE: '',
    TLS_KEY_FILE: '',
  }
  writeFileSync(join(dir, '.env'), Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n') + '\n')
  // Test labels on every container and volume the stack makes.
  const labels = Object.entries(testLabels(runId)).map(([k, v]) => `      ${k}: "${v}"`).join('\n')
  // Health checks every second (the images say 10 s): the test waits for them.
  const fastHealth = '    healthcheck:\n      interval: 1s\n      start_period: 60s\n'
  const service = (name: string): string => `  ${name}:\n    labels:\n${labels}\n${fastHealth}`
  const volume = (name: string): string => `  ${name}:\n    labels:\n${labels}\n`
  writeFileSync(join(dir, 'test-labels.yml'), `services:\n${SERVICES.map(service).join('')}volumes:\n${['redis-data', 'control-socket'].map(volume).join('')}`)

  // The shell's environment wins over --env-file in compose: drop our variables from it
  // (the test command exports GRANARY_DATA_DIR, for one).
  const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !(k in env))) as NodeJS.ProcessEnv
  const composeArgs = [...composeCommand(), '-p', project, '-f', join(ROOT, 'docker-compose.yml'), '-f', join(dir, 'test-labels.yml'), '--env-file', join(dir, '.env')]
  const compose = async (...args: string[]): Promise<string> => {
    try {
      const { stdout } = await run(composeArgs[0]!, [...composeArgs.slice(1), ...args], { cwd: ROOT, env: cleanEnv, maxBuffer: 64 * 1024 * 1024 })
      return stdout
    } catch (err) {
      const e = err as { stderr?: string, message: string }
      throw new Error(`${composeArgs.join(' ')} ${args.join(' ')} failed: ${e.stderr ?? e.message}`, { cause: err })
    }
  }

  const waitHealthy = async (): Promise<void> => {
    const deadline = Date.now() + HEALTH_TIMEOUT_MS
    let states: Array<{ name: string, service: string, status: string, lastCheck: string, restarts: number }> = []
    while (Date.now() < deadline) {
      const ids = (await compose('ps', '-q')).split('\n').filter(Boolean)
      states = await Promise.all(ids.map(async (id) => {
        const info = await docker.getContainer(id).inspect()
        const log = info.State.Health?.Log ?? []
        return { name: info.Name, service: info.Config.Labels['com.docker.compose.service'] ?? '', status: info.State.Health?.Status ?? info.State.Status, lastCheck: (log[log.length - 1]?.Output ?? '').trim(), restarts: info.RestartCount }
      }))
      if (ids.length === SERVICES.length && states.every((s) => s.status === 'healthy')) return
      await new Promise((r) => setTimeout(r, 1000))
    }
    const sick = states.filter((s) => s.status !== 'healthy')
    const logs = await Promise.all(sick.map((s) => compose('logs', '--no-color', '--tail', '20', s.service).catch((err: Error) => err.message)))
    throw new Error(`stack not healthy within ${HEALTH_TIMEOUT_MS} ms: ${states.map((s) => `${s.name}: ${s.status} (last check: ${s.lastCheck}; restarts: ${s.restarts})`).join('; ')}\n${logs.join('\n')}`)
  }

  // Grain containers and the grain network are the control plane's, not compose's.
  const removeGrains = async (): Promise<void> => {
    const network = env.GRAIN_NETWORK
    const grains = await docker.listContainers({ all: true, filters: JSON.stringify({ network: [network] }) }).catch(() => [])
    await Promise.all(grains.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)))
    await docker.getNetwork(network).remove().catch(() => undefined)
  }

  const wipe = async (): Promise<void> => {
    await compose('down', '-v')
    await removeGrains()
    rmSync(dataDir, { recursive: true, force: true })
    mkdirSync(dataDir)
    chownSync(dataDir, GRAIN_USER, GRAIN_USER)
  }

  const remove = async (): Promise<void> => {
    await compose('down', '-v', '--remove-orphans').catch(() => undefined)
    await removeGrains()
    // The grain firewall removes its rule when stopped; this is for a stop that went wrong.
    await unblockGrainsFromHost(bridgeNameFor(env.GRAIN_NETWORK))
    for (const image of [env.GRANARY_PROXY_IMAGE, env.GRANARY_CONTROL_PLANE_IMAGE]) await docker.getImage(image).remove({ force: true }).catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  }

  return { runId, project, dir, dataDir, httpsPort, redisPort, redisPassword, grainNetwork: env.GRAIN_NETWORK, composeArgs, cleanEnv, compose, waitHealthy, wipe, remove }
}

/** Stages the prebuilt image context (compiles on the host) and the local Redis image. */
export async function prepareImages (): Promise<void> {
  await run('bash', [join(ROOT, 'scripts/build-images.sh'), '--stage-only'], { cwd: ROOT })
  const redis = await docker.getImage('granary/redis:local').inspect().catch(() => undefined)
  if (redis === undefined) await run('bash', [join(ROOT, 'scripts/build-redis-image.sh')], { cwd: ROOT })
}
