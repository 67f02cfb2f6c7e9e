/**
 * The whole of Granary as an admin starts it: `scripts/up.sh` with a fresh
 * temporary data directory, any free port, and its own private Redis (the
 * test's REDIS_URL is deliberately not passed on: the up command's stores use
 * fixed key names, so two stacks sharing one Redis would share accounts).
 * Chromium resolves `*.localhost` to loopback itself (no DNS).
 * `stop()` sends Ctrl-C and waits; the data directory and the grain network are removed afterwards.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { docker } from '../../support/docker.js'

const ROOT = new URL('../../../', import.meta.url).pathname
const UP_TIMEOUT_MS = 90_000
const STOP_TIMEOUT_MS = 20_000

export interface Stack {
  /** The URL the up command printed (the shell), e.g. `https://localhost:41234/`. */
  url: string
  /** Password of the `admin` account made at first start. */
  adminPassword: string
  dataDir: string
  /** Everything the stack printed so far (for failure messages). */
  output: () => string
  /** Ctrl-C, wait for exit, remove the data directory and the grain network. Succeeds silently if already stopped. */
  stop: () => Promise<void>
}

/**
 * The up command removes its grain containers, its grain network and that network's
 * firewall rule when it stops (each stack gets a network of its own, so parallel runs
 * never share one). Anything left is removed here, and reported: a leak fails the run.
 */
async function assertGrainNetworkGone (name: string): Promise<void> {
  const [network] = await docker.listNetworks({ filters: JSON.stringify({ name: [`^${name}$`] }) })
  if (network === undefined) return
  const info = await docker.getNetwork(network.Id).inspect() as { Containers?: Record<string, unknown> }
  await Promise.all(Object.keys(info.Containers ?? {}).map((id) => docker.getContainer(id).remove({ force: true, v: true }).catch(() => {})))
  await docker.getNetwork(network.Id).remove().catch(() => {})
  throw new Error(`the up command left its grain network ${name} behind`)
}

export async function startStack (extraEnv: Record<string, string> = {}): Promise<Stack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'granary-browser-'))
  const adminPassword = `admin-${randomBytes(6).toString('hex')}`
  const grainNetwork = `granary-ui-${randomBytes(4).toString('hex')}`
  const env: Record<string, string | undefined> = {
    ...process.env,
    GRANARY_DATA_DIR: dataDir,
    PORT: '0',
    HTTP_PORT: '0',
    HOST: '127.0.0.1',
    // Shell at granary.localhost, grains at <id>.granary.localhost: one site, as in a real
    // deployment (granary.example.com and its subdomains), so the grain's SameSite=Lax
    // session cookie is sent inside the shell's iframe. With the shell at plain `localhost`,
    // `<id>.localhost` is another site and Chromium withholds that cookie.
    BASE_DOMAIN: 'granary.localhost',
    ADMIN_PASSWORD: adminPassword,
    GRAIN_NETWORK: grainNetwork,
    LOG_LEVEL: 'warn',
    ...extraEnv,
  }
  delete env.REDIS_URL
  const child = spawn('bash', ['scripts/up.sh'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { out += d.toString() })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  let stopped = false
  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    try { process.kill(-child.pid!, 'SIGINT') } catch { /* already gone */ }
    const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL') } catch { /* gone */ } }, STOP_TIMEOUT_MS)
    await exited
    clearTimeout(timer)
    rmSync(dataDir, { recursive: true, force: true })
    await assertGrainNetworkGone(grainNetwork)
  }

  const deadline = Date.now() + UP_TIMEOUT_MS
  let url: string | undefined
  let done = false
  exited.then(() => { done = true }, () => { done = true })
  while (url === undefined) {
    url = /Granary is up: (\S+)/.exec(out)?.[1]
    if (url !== undefined) break
    if (done || Date.now() > deadline) {
      await stop()
      throw new Error(`the stack did not start; its output:\n${out}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { url, adminPassword, dataDir, output: () => out, stop }
}
