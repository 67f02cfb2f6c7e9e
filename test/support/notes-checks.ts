/**
 * What a user of the notes app relies on, as checks that run against any
 * running copy of it (a plain process or a container): permissions enforced
 * by the server over HTTP and WebSocket, and live editing without lost typing.
 */
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { call, openWs, type RunningApp } from './grain-app.js'

export const READER = { permissions: 'read', userId: 'a'.repeat(32), userName: 'Rita%20Reader' }
export const WRITER = { permissions: 'read,write', userId: 'b'.repeat(32), userName: 'Wim%20Writer' }
export const WRITER2 = { permissions: 'read,write', userId: 'c'.repeat(32), userName: 'Zo%C3%AB' }

async function textOf (app: RunningApp): Promise<string> {
  const res = await call(app, 'GET', '/api/note', READER)
  assert.equal(res.status, 200)
  return res.body.text
}

export async function checkNotesHttpPermissions (app: RunningApp): Promise<void> {
  for (const caller of [{}, { permissions: '' }, { permissions: 'write' }, { permissions: 'Read' }]) {
    assert.equal((await call(app, 'GET', '/', caller)).status, 403, JSON.stringify(caller))
    assert.equal((await call(app, 'GET', '/api/note', caller)).status, 403, JSON.stringify(caller))
  }
  const ui = await call(app, 'GET', '/', READER)
  assert.equal(ui.status, 200)
  assert.match(ui.body, /<textarea/)

  const put = await call(app, 'PUT', '/api/note', WRITER, { text: 'first draft' })
  assert.equal(put.status, 200)
  const read = await call(app, 'GET', '/api/note', READER)
  assert.deepEqual({ text: read.body.text, canWrite: read.body.canWrite }, { text: 'first draft', canWrite: false })
  assert.equal((await call(app, 'GET', '/api/note', WRITER)).body.canWrite, true)

  // Without write, whatever the spelling tricks, nothing changes.
  for (const permissions of ['read', 'read,Write', 'readwrite', 'read;write', 'read,write2', '']) {
    const res = await call(app, 'PUT', '/api/note', { permissions }, { text: 'defaced' })
    assert.equal(res.status, 403, permissions)
  }
  assert.equal(await textOf(app), 'first draft')
}

export async function checkNotesHostileInput (app: RunningApp): Promise<void> {
  assert.equal((await call(app, 'PUT', '/api/note', WRITER, '{"text": ')).status, 400)
  assert.equal((await call(app, 'PUT', '/api/note', WRITER, { text: 42 })).status, 400)
  assert.equal((await call(app, 'PUT', '/api/note', WRITER, { text: 'x'.repeat(1_000_001) })).status, 400)
  assert.equal((await call(app, 'GET', '/../server.js', READER)).status, 404)
  assert.equal((await call(app, 'GET', '/%2e%2e/server.js', READER)).status, 404)
  assert.equal((await call(app, 'GET', '/shared/grain.js', READER)).status, 404)
  assert.equal((await call(app, 'DELETE', '/api/note', WRITER)).status, 405)
  // A malformed name never breaks the app.
  assert.equal((await call(app, 'GET', '/api/note', { ...READER, userName: '%E0%A4%A' })).status, 200)
}

export async function checkNotesWebSocketPermissions (t: TestContext, app: RunningApp): Promise<void> {
  await assert.rejects(openWs(t, app, '/ws', {}), /upgrade refused: 403/)
  await assert.rejects(openWs(t, app, '/ws', { permissions: 'write' }), /upgrade refused: 403/)
  const before = await textOf(app)
  const reader = await openWs(t, app, '/ws', READER)
  const hello = await reader.next((m) => m.type === 'hello')
  assert.equal(hello.canWrite, false)
  assert.equal(hello.text, before)
  reader.send({ type: 'op', revision: hello.revision, ops: ['defaced ', before.length].filter((c) => c !== 0) })
  const refused = await reader.next((m) => m.type === 'error')
  assert.equal(refused.code, 'forbidden')
  assert.equal(await textOf(app), before)
  reader.close()
}

export async function checkNotesLiveEditing (t: TestContext, app: RunningApp): Promise<void> {
  await call(app, 'PUT', '/api/note', WRITER, { text: 'hello world' })
  const a = await openWs(t, app, '/ws', WRITER)
  const b = await openWs(t, app, '/ws', WRITER2)
  const watcher = await openWs(t, app, '/ws', READER)
  const [ha, hb, hw] = await Promise.all([a.next((m) => m.type === 'hello'), b.next((m) => m.type === 'hello'), watcher.next((m) => m.type === 'hello')])
  assert.equal(ha.text, 'hello world')
  assert.equal(hw.users.includes('Rita Reader'), true)
  assert.equal(hw.users.includes('Zoë'), true)
  const rev = ha.revision
  assert.equal(hb.revision, rev)

  // Both type at once, on the same revision, without waiting for each other.
  a.send({ type: 'op', revision: rev, ops: ['Oh, ', 11] }) // "Oh, hello world"
  b.send({ type: 'op', revision: rev, ops: [5, ' wide', 6, '!'] }) // "hello wide world!"
  const ackA = await a.next((m) => m.type === 'ack')
  const ackB = await b.next((m) => m.type === 'ack')
  assert.deepEqual([ackA.revision, ackB.revision].sort(), [rev + 1, rev + 2])
  // Each sees the other's edit live.
  const fromB = await a.next((m) => m.type === 'op')
  const fromA = await b.next((m) => m.type === 'op')
  assert.ok(Array.isArray(fromB.ops) && Array.isArray(fromA.ops))
  const seen = [await watcher.next((m) => m.type === 'op'), await watcher.next((m) => m.type === 'op')]
  assert.deepEqual(seen.map((m) => m.revision), [rev + 1, rev + 2])
  assert.equal(await textOf(app), 'Oh, hello wide world!')

  // Same place, same moment: both insertions survive.
  b.send({ type: 'op', revision: rev + 2, ops: ['[B]', 21] })
  a.send({ type: 'op', revision: rev + 2, ops: ['[A]', 21] })
  await a.next((m) => m.type === 'ack')
  await b.next((m) => m.type === 'ack')
  const final = await textOf(app)
  assert.ok(final === '[A][B]Oh, hello wide world!' || final === '[B][A]Oh, hello wide world!', final)

  // An edit that does not fit, or from the future, is refused and changes nothing.
  a.send({ type: 'op', revision: rev + 4, ops: [3, 'x'] })
  assert.equal((await a.next((m) => m.type === 'error')).code, 'bad_request')
  a.send({ type: 'op', revision: rev + 99, ops: ['x', 27] })
  assert.equal((await a.next((m) => m.type === 'error')).code, 'bad_request')
  a.send({ type: 'nonsense' })
  assert.equal((await a.next((m) => m.type === 'error')).code, 'bad_request')
  assert.equal(await textOf(app), final)
  a.close(); b.close(); watcher.close()
}
