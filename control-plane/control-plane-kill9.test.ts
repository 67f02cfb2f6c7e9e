/**
 * The control plane killed with -9 in the middle of a start, then started
 * again: its successor adopts running grains, removes the half-started
 * container and the containers of grains deleted meanwhile, and Redis agrees
 * with Docker. Runs the control plane as a real child process.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { CONTROL_SECRET_HEADER } from '../core/control-plane-protocol.js'
import { redisGrainRecordStore } from '../core/grain-records.js'
import { connectRedis } from '../core/redis.js'
import { docker } from '../test/support/docker.js'
import type { ChildSettings } from '../test/support/control-plane-child.js'
import { testRedisUrl, testRunId, uniquePrefix } from '../test/support/env.js'
import { getJson, removeGrainWorld, TEST_SECRET, waitUntil } from '../test/support/grains.js'
import { LABELS } from './docker.js'
import { redisRunStateStore } from './run-state.js'

const ROOT = new URL('..', import.meta.url).pathname

function startChild (t: TestContext, settings: ChildSettings): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/control-plane-child.ts'], {
    cwd: ROOT, env: { ...process.env, GRANARY_TEST_CHILD: JSON.stringify(settings) }, stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`control plane child did not listen:\n${output}`)), 30_000)
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString()
      if (output.includes('listening')) { clearTimeout(timer); resolve(child) }
    })
    child.stderr!.on('data', (d: Buffer) => { output += d.toString() })
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`control plane child exited (${code}):\n${output}`)) })
  })
}

function call (socketPath: string, method: string, path: string, body?: unknown): Promise<{ status: number, body: any }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = request({ socketPath, method, path, headers: { [CONTROL_SECRET_HEADER]: TEST_SECRET, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => { text += c.toString() })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) }))
    })
    req.on('error', reject)
    req.end(payload)
  })
}

const containersOf = async (runId: string, grainId: string) =>
  docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABELS.test}=${runId}`, `${LABELS.grain}=${grainId}`] }) })

test('after a kill -9 mid-start, the restarted control plane is consistent and leaves no orphan container', async (t) => {
  const runId = testRunId()
  const dataDir = mkdtempSync(join(tmpdir(), 'granary-kill9-'))
  const settings: ChildSettings = {
    redisUrl: testRedisUrl(), redisKeyPrefix: uniquePrefix(), runId, network: `granary-test-${runId}`,
    dataDir, socketPath: join(dataDir, 'cp.sock'), startTimeoutMs: 20_000,
  }
  const redis = connectRedis(settings.redisUrl, { keyPrefix: settings.redisKeyPrefix })
  t.after(async () => {
    redis.disconnect()
    await removeGrainWorld(runId, settings.network)
    rmSync(dataDir, { recursive: true, force: true })
  })
  const runs = redisRunStateStore(redis)
  const sock = settings.socketPath

  const first = await startChild(t, settings)
  const create = async (appId: string): Promise<string> => (await call(sock, 'POST', '/grains', { appId, title: appId, owner: 'owner2345abcd' })).body.id
  const running = await create('hello')
  const address = (await call(sock, 'POST', `/grains/${running}/wake`)).body
  assert.equal((await getJson(address)).body.count, 1)
  const deletedMeanwhile = await create('hello')
  assert.equal((await call(sock, 'POST', `/grains/${deletedMeanwhile}/wake`)).status, 200)
  // A start that will hang (the app never listens) until we kill the control plane.
  const interrupted = await create('hello-broken')
  void call(sock, 'POST', `/grains/${interrupted}/wake`).catch(() => {})
  await waitUntil('the interrupted start to have a running container', async () =>
    (await containersOf(runId, interrupted)).some((c) => c.State === 'running') && (await runs.get(interrupted))?.state === 'starting')

  first.kill('SIGKILL')
  await new Promise((resolve) => first.once('exit', resolve))
  await redisGrainRecordStore(redis).delete(deletedMeanwhile)
  const [before] = await containersOf(runId, running)

  const second = await startChild(t, settings)
  assert.deepEqual(await containersOf(runId, interrupted), [], 'the half-started container is gone')
  assert.deepEqual(await containersOf(runId, deletedMeanwhile), [], 'the deleted grain\'s container is gone')
  assert.equal((await runs.get(interrupted))?.state, 'stopped')
  assert.equal((await call(sock, 'GET', `/grains/${interrupted}/state`)).body.state, 'stopped')
  assert.ok(!(await runs.live()).includes(interrupted))

  assert.equal((await call(sock, 'GET', `/grains/${running}/state`)).body.state, 'running', 'the running grain was adopted')
  assert.deepEqual((await call(sock, 'POST', `/grains/${running}/wake`)).body, address)
  assert.equal((await getJson(address)).body.count, 2)
  const after = await containersOf(runId, running)
  assert.deepEqual(after.map((c) => c.Id), [before!.Id], 'the same container, not a new one')

  second.kill('SIGTERM')
  await new Promise((resolve) => second.once('exit', resolve))
})
