/**
 * The up command as an admin runs it: it prints a URL, /healthz answers, the
 * control plane listens on no network address, a second run is harmless, and
 * SIGINT stops everything it started.
 */
import assert from 'node:assert/strict'
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { Agent, fetch } from 'undici'
import { testRedisUrl } from './support/env.js'

const ROOT = new URL('..', import.meta.url).pathname
const UP_TIMEOUT_MS = 60_000

function runUp (env: Record<string, string>): { child: ChildProcess, output: () => string, exited: Promise<number | null> } {
  const child = spawn('bash', ['scripts/up.sh'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr!.on('data', (d: Buffer) => { out += d.toString() })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, output: () => out, exited }
}

async function waitFor<T> (what: string, probe: () => T | undefined, output: () => string): Promise<T> {
  const deadline = Date.now() + UP_TIMEOUT_MS
  while (Date.now() < deadline) {
    const value = probe()
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`timed out waiting for ${what}; output so far:\n${output()}`)
}

/** Pids of processes listening on any TCP or UDP socket, from `ss`. */
function networkListenerPids (): Set<number> {
  const text = execFileSync('ss', ['-H', '-ltunp'], { encoding: 'utf8' })
  return new Set([...text.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])))
}

function pidsRunning (needle: string, dataDir: string): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((pid) => {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8')
      return cmd.includes(needle) && env.includes(`GRANARY_DATA_DIR=${dataDir}`) ? [Number(pid)] : []
    } catch {
      return []
    }
  })
}

test('npm start prints a URL whose /healthz answers, keeps the control plane off the network, and stops on Ctrl-C', { timeout: 120_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'granary-up-'))
  const env = { GRANARY_DATA_DIR: dataDir, REDIS_URL: testRedisUrl(), PORT: '0', HTTP_PORT: '0', HOST: '127.0.0.1' }
  const up = runUp(env)
  t.after(() => {
    try { process.kill(-up.child.pid!, 'SIGKILL') } catch { /* already gone */ }
    rmSync(dataDir, { recursive: true, force: true })
  })
  const url = await waitFor('the URL', () => /Granary is up: (\S+)/.exec(up.output())?.[1], up.output)
  assert.match(url, /^https:\/\//, 'the proxy serves HTTPS')
  // The certificate is self-signed on a fresh install: trust it for this one call.
  const healthUrl = new URL('/healthz', url)
  healthUrl.hostname = '127.0.0.1' // *.localhost is loopback; Node's resolver may not know that
  const health = await fetch(healthUrl, { dispatcher: new Agent({ connect: { rejectUnauthorized: false } }) })
  assert.equal(health.status, 200)
  assert.deepEqual(await health.json(), { ok: true, redis: true, controlPlane: true, docker: true })

  const controlPlanePids = pidsRunning('control-plane/server.ts', dataDir)
  assert.ok(controlPlanePids.length > 0, 'the control plane runs')
  const listeners = networkListenerPids()
  assert.deepEqual(controlPlanePids.filter((pid) => listeners.has(pid)), [], 'the control plane listens on no network address')

  const again = runUp(env)
  assert.equal(await again.exited, 0)
  assert.match(again.output(), new RegExp(`already running: ${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))

  process.kill(-up.child.pid!, 'SIGINT')
  assert.equal(await up.exited, 130)
  assert.deepEqual(pidsRunning('server.ts', dataDir), [], 'nothing it started is left running')
})

test('a bad configuration value stops start-up with one line naming it', { timeout: 120_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'granary-up-'))
  t.after(() => rmSync(dataDir, { recursive: true, force: true }))
  const up = runUp({ GRANARY_DATA_DIR: dataDir, REDIS_URL: testRedisUrl(), PORT: 'eighty', HTTP_PORT: '0' })
  const code = await up.exited
  assert.notEqual(code, 0)
  const line = up.output().split('\n').find((l) => l.includes('invalid configuration'))
  assert.ok(line, up.output())
  assert.match(line, /PORT="eighty"/)
  assert.deepEqual(pidsRunning('server.ts', dataDir), [])
})
