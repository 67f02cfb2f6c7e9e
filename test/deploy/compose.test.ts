/**
 * The compose deployment, end to end: images built from the local base image
 * through docker-compose.yml's build section, the stack brought up with the
 * real compose file, state written, the stack taken down and up again, a
 * backup taken with scripts/backup.sh, everything wiped, restored with
 * scripts/restore.sh, and the same state found again. Along the way, the
 * grain-firewall service's iptables rule: on the host while the stack is up,
 * gone after `down`, and what keeps a grain from connecting to the host.
 */
import { strict as assert } from 'node:assert'
import { execFile } from 'node:child_process'
import { chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { request as httpRequest } from 'node:http'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { connect as tlsConnect } from 'node:tls'
import { promisify } from 'node:util'
import { connectRedis } from '../../core/redis.js'
import { redisGrainRecordStore } from '../../core/grain-records.js'
import { keys } from '../../core/keys.js'
import { LABELS } from '../../control-plane/docker.js'
import { bridgeNameFor, grainsBlockedFromHost, unblockGrainsFromHost } from '../../control-plane/host-firewall.js'
import { docker } from '../support/docker.js'
import { testRunId } from '../support/env.js'
import { execIn, gatewayOf, hostConnects, listenOnHost, probe } from '../support/grain-probe.js'
import { waitUntil } from '../support/grains.js'
import { checkThroughApi, writeThroughApi } from './api-flow.js'
import { ROOT, composeStack, prepareImages, type ComposeStack } from './compose-stack.js'

const run = promisify(execFile)

/** GET over HTTPS (the proxy's own, maybe self-signed, certificate), or plain HTTP while the proxy serves no TLS. */
async function get (port: number, path: string): Promise<{ status: number, body: string }> {
  const once = (tls: boolean) => new Promise<{ status: number, body: string }>((resolve, reject) => {
    const req = (tls ? request : httpRequest)({ host: '127.0.0.1', port, path, ...(tls ? { rejectUnauthorized: false } : {}) }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => { body += c.toString() })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
  try {
    return await once(true)
  } catch {
    return await once(false)
  }
}

/** The subject alternative names of the certificate the proxy serves to `localhost`. */
function servedSubjectAltName (port: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().subjectaltname)
      socket.end()
    })
    socket.on('error', reject)
  })
}

interface State { grainId: string, owner: string, note: string }

/** Writes users, a grain, a share and grain data the way the services keep them (Redis + data directory). */
async function writeState (stack: ComposeStack): Promise<State> {
  const redis = connectRedis(`redis://:${stack.redisPassword}@127.0.0.1:${stack.redisPort}`)
  try {
    await redis.hset(keys.user('alice00000000000'), { id: 'alice00000000000', username: 'alice', displayName: 'Alice', role: 'user', disabled: '0', createdAt: '1' })
    await redis.hset(keys.usersByName(), 'alice', 'alice00000000000')
    const grain = await redisGrainRecordStore(redis).create({ appId: 'notes', appVersion: '1.0.0', title: 'Shopping', owner: 'alice00000000000' })
    await redis.hset(`grain:${grain.id}:shares`, 'bob', 'read')
    const dir = join(stack.dataDir, 'grains', grain.id)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'note.txt'), 'milk, eggs')
    chownSync(join(stack.dataDir, 'grains'), 1000, 1000)
    chownSync(dir, 1000, 1000)
    chownSync(join(dir, 'note.txt'), 1000, 1000)
    return { grainId: grain.id, owner: 'alice00000000000', note: 'milk, eggs' }
  } finally {
    await redis.quit()
  }
}

async function checkState (stack: ComposeStack, state: State, when: string): Promise<void> {
  const redis = connectRedis(`redis://:${stack.redisPassword}@127.0.0.1:${stack.redisPort}`)
  try {
    const grain = await redisGrainRecordStore(redis).get(state.grainId)
    assert.equal(grain?.title, 'Shopping', `grain record ${when}`)
    assert.equal(grain?.owner, state.owner)
    assert.equal(await redis.hget(keys.usersByName(), 'alice'), state.owner, `user ${when}`)
    assert.equal(await redis.hget(`grain:${state.grainId}:shares`, 'bob'), 'read', `share ${when}`)
    assert.equal(readFileSync(join(stack.dataDir, 'grains', state.grainId, 'note.txt'), 'utf8'), state.note, `grain data ${when}`)
  } finally {
    await redis.quit()
  }
}

/**
 * The admin command line, run in the control-plane container the way
 * README.md tells admins to: the compiled command finds Redis and the control
 * plane through the container's own settings.
 */
async function checkAdminCommandLine (stack: ComposeStack, state: State): Promise<void> {
  const granary = (...args: string[]) => stack.compose('exec', '-T', 'control-plane', 'node', 'dist/scripts/granary.js', ...args)
  assert.match(await granary('user', 'create', 'carol', '--role', 'packager'), /^created carol \(packager\)$/m)
  const users = await granary('user', 'list')
  assert.match(users, /^admin\s+admin\s+active\s+set\s/m, 'Redis reached: the proxy made the admin')
  assert.match(users, /^carol\s+packager\s+active\s+none\s/m)
  assert.match(await granary('grain', 'list'), new RegExp(`^${state.grainId}\\s+Shopping\\s+notes@1\\.0\\.0\\s+alice\\s+stopped\\s`, 'm'), 'the control plane reached')
}

/**
 * A real grain (running, on the grain network) tries to connect to a host
 * service listening on all addresses, through the host's address on the grain
 * bridge. The grain-firewall service's rule is what stops it: with the service
 * stopped (and so its rule removed) the same try gets through. Then a rule
 * removed behind the service's back (a firewall reload) comes back.
 */
async function checkGrainFirewall (t: TestContext, stack: ComposeStack, grainId: string): Promise<void> {
  const bridge = bridgeNameFor(stack.grainNetwork)
  const [grain] = await docker.listContainers({ filters: JSON.stringify({ label: [`${LABELS.grain}=${grainId}`], status: ['running'] }) })
  assert.ok(grain, 'the grain just opened is running')
  const gateway = await gatewayOf(stack.grainNetwork)
  const port = await listenOnHost(t, '0.0.0.0')
  assert.equal(await hostConnects(gateway, port), true, 'the host service answers on the grain bridge')
  assert.equal(await execIn(grain.Id, probe(gateway, port)), 'TIMEOUT', 'a grain cannot connect to the host')

  await stack.compose('stop', 'grain-firewall')
  assert.equal(await grainsBlockedFromHost(bridge), false, 'the stopped service removed its rule')
  assert.equal(await execIn(grain.Id, probe(gateway, port)), 'CONNECTED', 'without the rule the grain gets through: the rule is what stops it')
  await stack.compose('up', '-d')
  await stack.waitHealthy()
  assert.equal(await execIn(grain.Id, probe(gateway, port)), 'TIMEOUT', 'blocked again once the service is back')

  // GRAIN_FIREWALL_CHECK_MS is 1 s in this stack.
  await unblockGrainsFromHost(bridge)
  await waitUntil('the grain firewall to put its rule back', () => grainsBlockedFromHost(bridge), 10_000)
  await waitUntil('the grain firewall to log it', async () => (await stack.compose('logs', '--no-color', 'grain-firewall')).includes('added it again'), 10_000)
}

test('docker compose: up, state survives down/up, backup, wipe, restore', { timeout: 300_000 }, async (t) => {
  const started = Date.now()
  const lap = (label: string): void => { t.diagnostic(`${label}: ${((Date.now() - started) / 1000).toFixed(1)} s`) }
  const stack = await composeStack(testRunId())
  t.after(() => stack.remove())

  await prepareImages()
  await stack.compose('build')
  lap('images built')
  // Final images: compiled JavaScript, production dependencies and package.json only.
  for (const image of [`granary/proxy:${stack.project}`, `granary/control-plane:${stack.project}`]) {
    const listing = JSON.parse((await run('docker', ['run', '--rm', '--label', `granary.test=${stack.runId}`, image, 'node', '-e', `
      const fs = require('fs'), path = require('path')
      const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)])
      console.log(JSON.stringify({ top: fs.readdirSync('/app').sort(), ts: walk('/app/dist').filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), dev: ['typescript', 'eslint', 'tsx'].filter((m) => fs.existsSync('/app/node_modules/' + m)), user: process.getuid() }))`])).stdout) as { top: string[], ts: string[], dev: string[], user: number }
    assert.deepEqual(listing, { top: ['dist', 'node_modules', 'package.json'], ts: [], dev: [], user: 1000 }, image)
  }
  await stack.compose('up', '-d')
  await stack.waitHealthy()
  lap('stack healthy')
  const health = await get(stack.httpsPort, '/healthz')
  assert.equal(health.status, 200)
  assert.deepEqual(JSON.parse(health.body), { ok: true, redis: true, controlPlane: true, docker: true })
  // No certificate configured: the proxy made its own in the data directory, with no openssl in its image.
  assert.equal(await servedSubjectAltName(stack.httpsPort), 'DNS:localhost, DNS:*.localhost')
  assert.equal(statSync(join(stack.dataDir, 'tls', 'self-signed.key')).mode & 0o777, 0o600, 'the self-signed key is private')

  // Every container runs with the hardening the compose file promises.
  for (const service of ['control-plane', 'proxy']) {
    const id = (await stack.compose('ps', '-q', service)).trim()
    const info = await docker.getContainer(id).inspect()
    assert.equal(info.Config.User, '1000:1000', `${service} runs unprivileged in this test`)
    assert.equal(info.HostConfig.ReadonlyRootfs, true, `${service} has a read-only root`)
    assert.deepEqual(info.HostConfig.CapDrop, ['ALL'])
    assert.equal(info.HostConfig.RestartPolicy?.Name, 'unless-stopped')
  }
  // The grain firewall: root in the host's network namespace, with NET_ADMIN only and nothing mounted.
  const firewall = await docker.getContainer((await stack.compose('ps', '-q', 'grain-firewall')).trim()).inspect()
  assert.deepEqual({
    user: firewall.Config.User, capDrop: firewall.HostConfig.CapDrop, capAdd: firewall.HostConfig.CapAdd, readOnly: firewall.HostConfig.ReadonlyRootfs,
    network: firewall.HostConfig.NetworkMode, mounts: firewall.Mounts, noNewPrivileges: firewall.HostConfig.SecurityOpt?.includes('no-new-privileges:true'),
  }, { user: '0:0', capDrop: ['ALL'], capAdd: ['NET_ADMIN'], readOnly: true, network: 'host', mounts: [], noNewPrivileges: true })
  const bridge = bridgeNameFor(stack.grainNetwork)
  assert.equal(await grainsBlockedFromHost(bridge), true, `the host's iptables hold the rule for the grain bridge ${bridge}`)

  const state = await writeState(stack)
  await checkAdminCommandLine(stack, state)
  const api = await writeThroughApi(stack.httpsPort)
  const proxySecret = readFileSync(join(stack.dataDir, 'proxy.secret'), 'utf8')
  lap('written through the API and the admin command line')
  await stack.compose('down')
  assert.equal(await grainsBlockedFromHost(bridge), false, '`down` removes the grain firewall rule')
  await stack.compose('up', '-d')
  await stack.waitHealthy()
  await checkState(stack, state, 'after down and up')
  await checkThroughApi(stack.httpsPort, api, 'after down and up')
  lap('down/up checked')

  const backup = join(stack.dir, 'backup.tar')
  const env = { ...stack.cleanEnv, GRANARY_COMPOSE: stack.composeArgs.join(' ') }
  const { stderr: backupLog } = await run('bash', [join(ROOT, 'scripts/backup.sh'), backup], { env })
  assert.match(backupLog, /paused 1 running grain/, 'the running grain is paused for the copy')
  assert.ok(statSync(backup).size > 0)
  lap('backup taken')

  // Wipe: volumes (Redis), grain data, containers.
  await stack.wipe()
  await stack.compose('up', '-d')
  await stack.waitHealthy()
  await assert.rejects(checkState(stack, state, 'after the wipe'), 'the wipe really removed the state')

  await run('bash', [join(ROOT, 'scripts/restore.sh'), backup], { env })
  await stack.waitHealthy()
  await checkState(stack, state, 'after restore')
  await checkThroughApi(stack.httpsPort, api, 'after restore')
  assert.equal(readFileSync(join(stack.dataDir, 'proxy.secret'), 'utf8'), proxySecret, 'the proxy secret (user ids) is restored')
  assert.equal((await get(stack.httpsPort, '/healthz')).status, 200)
  lap('restored and checked')

  // Right after Bob opened it: the grain is running, not yet paused for idleness.
  await checkGrainFirewall(t, stack, api.grainId)
  await stack.compose('down')
  assert.equal(await grainsBlockedFromHost(bridge), false, '`down` removes the grain firewall rule')
  lap('grain firewall checked')
})
