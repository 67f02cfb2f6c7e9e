import assert from 'node:assert/strict'
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { test, type TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import YAML from 'yaml'
import { appsClient, ControlPlaneError } from '../core/apps-client.js'
import { CONTROL_SECRET_HEADER, MANIFEST_HEADER, encodeManifestHeader } from '../core/control-plane-protocol.js'
import { redisGrainRecordStore } from '../core/grain-records.js'
import { loadControlPlaneConfig } from '../core/settings.js'
import { saveImageAs } from '../test/support/app-images.js'
import { docker, removeTestResources } from '../test/support/docker.js'
import { testRedisUrl, testRunId, uniquePrefix } from '../test/support/env.js'
import { call, startAppContainer } from '../test/support/grain-app.js'
import { VIEWER } from '../test/support/board-checks.js'
import { build } from './app.js'

const SECRET = 's'.repeat(64)
const auth = { [CONTROL_SECRET_HEADER]: SECRET }
const boardYaml = readFileSync(new URL('../manifests/board.yaml', import.meta.url), 'utf8')

/** The board manifest with some fields changed, as YAML text. */
const manifestText = (patch: Record<string, unknown>): string => YAML.stringify({ ...YAML.parse(boardYaml), ...patch })

async function controlPlane (t: TestContext, env: Record<string, string> = {}): Promise<FastifyInstance> {
  const app = await build({ config: loadControlPlaneConfig(env), secret: SECRET, redisUrl: testRedisUrl(), redisKeyPrefix: uniquePrefix() })
  t.after(() => app.close())
  return app
}

/** Listens on a real Unix socket (streaming matters) and answers a client for it. */
async function onSocket (t: TestContext, app: FastifyInstance) {
  const dir = mkdtempSync(join(tmpdir(), 'granary-cp-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const socketPath = join(dir, 'cp.sock')
  await app.listen({ path: socketPath })
  return { socketPath, client: appsClient(socketPath, SECRET) }
}

async function expectRefusal (promise: Promise<unknown>, status: number, code: string, message?: RegExp): Promise<ControlPlaneError> {
  const err = await promise.then(() => assert.fail('expected a refusal'), (e: unknown) => e)
  assert.ok(err instanceof ControlPlaneError, String(err))
  assert.deepEqual([err.status, err.code], [status, code], err.message)
  if (message !== undefined) assert.match(err.message, message)
  return err
}

test('apps: publishing an image already in the engine, listing, showing', async (t) => {
  const app = await controlPlane(t)
  const res = await app.inject({ method: 'POST', url: '/apps', headers: auth, payload: { manifest: boardYaml } })
  assert.equal(res.statusCode, 201, res.body)
  const boardId = (await docker.getImage('granary/board:local').inspect()).Id
  assert.deepEqual({ ...res.json<Record<string, unknown>>(), createdAt: 0, updatedAt: 0, manifest: undefined }, {
    id: 'board', name: 'Task board', icon: '📋', version: '1.0.0', versions: ['1.0.0'], imageId: boardId, createdAt: 0, updatedAt: 0, manifest: undefined,
  })
  const list = await app.inject({ url: '/apps', headers: auth })
  assert.deepEqual(list.json().map((a: { id: string }) => a.id), ['board'])
  const one = await app.inject({ url: '/apps/board', headers: auth })
  assert.deepEqual(one.json().manifest.roles.map((r: { id: string }) => r.id), ['viewer', 'commenter', 'editor', 'manager'])
  assert.equal((await app.inject({ url: '/apps/nope', headers: auth })).json().error.code, 'APP_ERR_NOT_FOUND')
  assert.equal((await app.inject({ url: '/apps/..%2Fetc', headers: auth })).statusCode, 400)

  // The same version again is not newer; an image the engine lacks is refused; nothing changes.
  const again = await app.inject({ method: 'POST', url: '/apps', headers: auth, payload: { manifest: boardYaml } })
  assert.deepEqual([again.statusCode, again.json().error.code], [409, 'APP_ERR_NOT_NEWER'])
  assert.match(again.json().error.message, /version 1\.0\.0 is not newer than the current version 1\.0\.0/)
  const missing = await app.inject({ method: 'POST', url: '/apps', headers: auth, payload: { manifest: manifestText({ version: '1.1.0', image: 'granary-test/absent:1' }) } })
  assert.deepEqual([missing.statusCode, missing.json().error.code], [400, 'APP_ERR_IMAGE_MISSING'])
  // An image name is a reference, never a path into the engine's API.
  for (const image of ['../containers/x', 'granary/board:local/../../x', 'a b', 42]) {
    const res = await app.inject({ method: 'POST', url: '/apps', headers: auth, payload: { manifest: manifestText({ version: '1.2.0' }), image } })
    assert.deepEqual([res.statusCode, res.json().error.code], [400, 'ERR_BAD_REQUEST'], String(image))
  }
  assert.deepEqual((await app.inject({ url: '/apps/board', headers: auth })).json().versions, ['1.0.0'])
})

test('apps: an invalid manifest is refused with every problem, before anything else happens', async (t) => {
  const app = await controlPlane(t)
  const bad = manifestText({ version: '2', port: 80, colour: 'red', roles: [{ id: 'viewer', title: 'V', permissions: ['wiew'] }] })
  for (const res of [
    await app.inject({ method: 'POST', url: '/apps', headers: auth, payload: { manifest: bad } }),
    await app.inject({ method: 'POST', url: '/apps', headers: { ...auth, 'content-type': 'application/x-tar', [MANIFEST_HEADER]: encodeManifestHeader(bad) }, payload: 'not even a tarball' }),
  ]) {
    assert.equal(res.statusCode, 400)
    const { code, message } = res.json().error
    assert.equal(code, 'APP_ERR_INVALID_MANIFEST')
    for (const part of ['colour: unknown field', 'port: expected integer to be greater or equal to 1024', 'version: "2" is not a semantic version', 'roles[0].permissions[0]: unknown permission "wiew"', 'roles: exactly one role must be marked "default: true"']) {
      assert.ok(message.includes(part), `${part} missing from: ${message}`)
    }
  }
  const object = await app.inject({ method: 'POST', url: '/apps', headers: auth, payload: { manifest: { id: 'x' } } })
  assert.match(object.json().error.message, /name: is required/)
  const noHeader = await app.inject({ method: 'POST', url: '/apps', headers: { ...auth, 'content-type': 'application/x-tar' }, payload: 'x' })
  assert.match(noHeader.json().error.message, /send the manifest, base64-encoded, in the x-granary-manifest header/)
  const notBase64 = await app.inject({ method: 'POST', url: '/apps', headers: { ...auth, 'content-type': 'application/x-tar', [MANIFEST_HEADER]: '{"id":"x"}' }, payload: 'x' })
  assert.match(notBase64.json().error.message, /not base64/)
  const empty = await app.inject({ method: 'POST', url: '/apps', headers: { ...auth, 'content-type': 'application/x-tar', [MANIFEST_HEADER]: encodeManifestHeader(boardYaml) }, payload: '' })
  assert.deepEqual([empty.statusCode, empty.json().error.message], [400, 'the image could not be loaded: the upload is empty: send the `docker save` tarball as the body'])
  const wrongType = await app.inject({ method: 'POST', url: '/apps', headers: { ...auth, 'content-type': 'text/plain' }, payload: 'x' })
  assert.equal(wrongType.statusCode, 415)
  const noSecret = await app.inject({ method: 'POST', url: '/apps', headers: { 'content-type': 'application/json' }, payload: { manifest: boardYaml } })
  assert.equal(noSecret.statusCode, 401)
  assert.deepEqual((await app.inject({ url: '/apps', headers: auth })).json(), [])
})

test('apps: a tarball streamed through the socket is loaded, recorded with its image id, and the image runs', async (t) => {
  const runId = testRunId()
  t.after(() => removeTestResources(runId))
  const image = await saveImageAs(t, 'granary/board:local', runId, 'board', '2.0.0')
  const app = await controlPlane(t)
  const { client } = await onSocket(t, app)
  const size = statSync(image.tarPath).size
  const progress: number[] = []
  const started = process.hrtime.bigint()
  const published = await client.publishTar({ manifestText: manifestText({ image: image.ref, version: '2.0.0' }), tar: createReadStream(image.tarPath), size, onProgress: (n) => progress.push(n) })
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  t.diagnostic(`uploaded and loaded ${(size / 1048576).toFixed(1)} MiB in ${ms.toFixed(0)} ms`)
  assert.deepEqual([published.id, published.version, published.imageId], ['board', '2.0.0', image.id])
  assert.equal(progress.at(-1), size)
  assert.equal((await docker.getImage(image.ref).inspect()).Id, image.id)

  // The recorded image id runs: a grain of this version would start from it.
  const container = await startAppContainer(t, published.imageId, runId)
  assert.equal((await call(container, 'GET', '/api/board', VIEWER)).status, 200)
  assert.equal((await call(container, 'GET', '/api/board', {})).status, 403)
})

test('apps: a new version replaces the image for new grains; an older or equal one is refused without loading', async (t) => {
  const runId = testRunId()
  t.after(() => removeTestResources(runId))
  const v1 = await saveImageAs(t, 'granary/board:local', runId, 'app', '1.0.0')
  const v2 = await saveImageAs(t, 'granary/notes:local', runId, 'app', '1.1.0')
  const app = await controlPlane(t)
  const { client } = await onSocket(t, app)
  const text = (version: string, ref: string) => manifestText({ version, image: ref })
  await client.publishTar({ manifestText: text('1.0.0', v1.ref), tar: createReadStream(v1.tarPath) })
  const bumped = await client.publishTar({ manifestText: text('1.1.0', v2.ref), tar: createReadStream(v2.tarPath) })
  assert.deepEqual([bumped.version, bumped.versions, bumped.imageId], ['1.1.0', ['1.0.0', '1.1.0'], v2.id])
  assert.equal((await client.get('board')).imageId, v2.id)

  const started = Date.now()
  await expectRefusal(client.publishTar({ manifestText: text('1.0.5', v1.ref), tar: createReadStream(v1.tarPath) }), 409, 'APP_ERR_NOT_NEWER', /1\.0\.5 is not newer than the current version 1\.1\.0/)
  await expectRefusal(client.publishImage({ manifest: text('1.1.0', 'granary/board:local') }), 409, 'APP_ERR_NOT_NEWER')
  assert.ok(Date.now() - started < 2000, 'refused before the upload was read')
  assert.equal((await client.get('board')).imageId, v2.id)
})

test('apps: a corrupt, truncated, empty or mismatched tarball is refused and nothing is recorded', async (t) => {
  const runId = testRunId()
  t.after(() => removeTestResources(runId))
  const image = await saveImageAs(t, 'granary/board:local', runId, 'board', '3.0.0')
  const app = await controlPlane(t)
  const { client } = await onSocket(t, app)
  const text = manifestText({ version: '3.0.0', image: image.ref })
  await expectRefusal(client.publishTar({ manifestText: text, tar: Readable.from([Buffer.alloc(4096, 'x')]) }), 400, 'APP_ERR_BAD_IMAGE', /invalid tar header/)
  const truncated = createReadStream(image.tarPath, { start: 0, end: 2_000_000 })
  await expectRefusal(client.publishTar({ manifestText: text, tar: truncated }), 400, 'APP_ERR_BAD_IMAGE', /unexpected EOF|tar/)
  await expectRefusal(client.publishTar({ manifestText: text, tar: Readable.from([]) }), 400, 'APP_ERR_BAD_IMAGE')
  // A valid tarball that does not hold the manifest's image.
  await expectRefusal(client.publishTar({ manifestText: manifestText({ version: '3.0.0', image: 'granary/notes:local' }), tar: createReadStream(image.tarPath) }), 400, 'APP_ERR_IMAGE_MISSING', /holds granary-test-.*board:3\.0\.0, not the manifest's image granary\/notes:local/)
  await expectRefusal(client.get('board'), 404, 'APP_ERR_NOT_FOUND')
  assert.deepEqual(await client.list(), [])
})

test('apps: an upload over MAX_IMAGE_BYTES is refused with 413, declared or not, and nothing is recorded', async (t) => {
  const runId = testRunId()
  t.after(() => removeTestResources(runId))
  const image = await saveImageAs(t, 'granary/board:local', runId, 'board', '4.0.0')
  const app = await controlPlane(t, { MAX_IMAGE_BYTES: String(1024 * 1024) })
  const { client } = await onSocket(t, app)
  const text = manifestText({ version: '4.0.0', image: image.ref })
  const size = statSync(image.tarPath).size
  // Declared too large: refused from the headers, before the body is read.
  await expectRefusal(client.publishTar({ manifestText: text, tar: createReadStream(image.tarPath), size }), 413, 'APP_ERR_IMAGE_TOO_LARGE', /limit of 1048576 bytes/)
  // Chunked, size unknown: cut off once the limit is passed.
  let sent = 0
  await expectRefusal(client.publishTar({ manifestText: text, tar: createReadStream(image.tarPath), onProgress: (n) => { sent = n } }), 413, 'APP_ERR_IMAGE_TOO_LARGE')
  assert.ok(sent < size, `stopped reading early (${sent} of ${size} bytes sent)`)
  await expectRefusal(client.get('board'), 404, 'APP_ERR_NOT_FOUND')
  await assert.rejects(docker.getImage(image.ref).inspect(), (err: { statusCode?: number }) => err.statusCode === 404)
})

test('apps: removal is refused while grains use the app, unless forced', async (t) => {
  const app = await controlPlane(t)
  const { client } = await onSocket(t, app)
  await client.publishImage({ manifest: boardYaml })
  await client.publishImage({ manifest: manifestText({ id: 'spare' }) })
  const grain = await redisGrainRecordStore(app.redis).create({ appId: 'board', appVersion: '1.0.0', title: 'Sprint', owner: 'u1' })
  await expectRefusal(client.remove('board'), 409, 'APP_ERR_IN_USE', /used by 1 grain/)
  assert.equal((await client.get('board')).id, 'board')
  await client.remove('spare')
  await client.remove('board', true)
  await expectRefusal(client.remove('board'), 404, 'APP_ERR_NOT_FOUND')
  assert.deepEqual(await client.list(), [])
  // The grain record is the grain module's business: it stays.
  assert.equal((await redisGrainRecordStore(app.redis).get(grain.id))?.appId, 'board')
})
