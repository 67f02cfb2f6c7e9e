import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { test } from 'node:test'
import { call, openWs, startAppProcess } from '../../test/support/grain-app.js'
import { WRITER, WRITER2, checkNotesHostileInput, checkNotesHttpPermissions, checkNotesLiveEditing, checkNotesWebSocketPermissions } from '../../test/support/notes-checks.js'

test('notes (process): HTTP writes need the write permission', async (t) => {
  const app = await startAppProcess(t, 'notes')
  await checkNotesHttpPermissions(app)
  await checkNotesHostileInput(app)
})

test('notes (process): WebSocket needs read to connect and write to edit', async (t) => {
  const app = await startAppProcess(t, 'notes')
  await call(app, 'PUT', '/api/note', WRITER, { text: 'keep me' })
  await checkNotesWebSocketPermissions(t, app)
})

test('notes (process): two editors typing at once both keep every keystroke, watchers follow live', async (t) => {
  const app = await startAppProcess(t, 'notes')
  await checkNotesLiveEditing(t, app)
})

test('notes (process): the note survives a restart, written atomically in the data directory', async (t) => {
  const app = await startAppProcess(t, 'notes')
  const ws = await openWs(t, app, '/ws', WRITER)
  const hello = await ws.next((m) => m.type === 'hello')
  ws.send({ type: 'op', revision: hello.revision, ops: ['typed just before the stop'] })
  await ws.next((m) => m.type === 'ack')
  await app.stop()
  assert.deepEqual(readdirSync(app.dataDir), ['note.json'])
  assert.equal(JSON.parse(readFileSync(`${app.dataDir}/note.json`, 'utf8')).text, 'typed just before the stop')
  const again = await startAppProcess(t, 'notes', app.dataDir)
  const res = await call(again, 'GET', '/api/note', WRITER)
  assert.deepEqual({ text: res.body.text, revision: res.body.revision }, { text: 'typed just before the stop', revision: 1 })
  // A client still on a revision from before the restart is told to reload rather than corrupting the text.
  const late = await openWs(t, again, '/ws', WRITER)
  await late.next((m) => m.type === 'hello')
  late.send({ type: 'op', revision: 0, ops: ['x'] })
  assert.equal((await late.next((m) => m.type === 'error')).code, 'stale')
})

test('notes (process): killed in the middle of saving, it never leaves a torn file', async (t) => {
  const app = await startAppProcess(t, 'notes')
  const big = (c: string) => c.repeat(400_000)
  await call(app, 'PUT', '/api/note', WRITER, { text: big('a') })
  await new Promise((resolve) => setTimeout(resolve, 300))
  // Keep it saving large texts, then kill it without warning.
  const writes = ['b', 'c', 'd', 'e', 'f', 'g'].map((c) => call(app, 'PUT', '/api/note', WRITER, { text: big(c) }).catch(() => undefined))
  await new Promise((resolve) => setTimeout(resolve, 120))
  app.child.kill('SIGKILL')
  await Promise.all(writes)
  await app.stop()
  const files = readdirSync(app.dataDir).filter((f) => f === 'note.json')
  assert.deepEqual(files, ['note.json'])
  const saved = JSON.parse(readFileSync(`${app.dataDir}/note.json`, 'utf8'))
  assert.equal(saved.text.length, 400_000)
  assert.match(saved.text, /^(a+|b+|c+|d+|e+|f+|g+)$/)
})

test('notes (process): the edit history is bounded by size; a client left far behind is told to reload', async (t) => {
  const app = await startAppProcess(t, 'notes')
  const ws = await openWs(t, app, '/ws', WRITER)
  const hello = await ws.next((m) => m.type === 'hello')
  // Ten replacements of 500 000 characters: more than the history keeps.
  for (const c of 'abcdefghij') assert.equal((await call(app, 'PUT', '/api/note', WRITER, { text: c.repeat(500_000) })).status, 200)
  ws.send({ type: 'op', revision: hello.revision, ops: ['x'] })
  assert.equal((await ws.next((m) => m.type === 'error')).code, 'stale')
  // A client that kept up still edits.
  const fresh = await openWs(t, app, '/ws', WRITER2)
  const now = await fresh.next((m) => m.type === 'hello')
  fresh.send({ type: 'op', revision: now.revision, ops: ['x', 500_000] })
  assert.equal((await fresh.next((m) => m.type === 'ack')).revision, now.revision + 1)
})

test('notes (process): a client back after a lost connection learns which edits it missed, its own included', async (t) => {
  const app = await startAppProcess(t, 'notes')
  const a = await openWs(t, app, '/ws', WRITER)
  const b = await openWs(t, app, '/ws', WRITER2)
  const start = (await a.next((m) => m.type === 'hello')).revision
  await b.next((m) => m.type === 'hello')
  a.send({ type: 'op', revision: start, ops: ['mine'], key: 'page1-1' })
  await a.next((m) => m.type === 'ack')
  b.send({ type: 'op', revision: start + 1, ops: [4, ' theirs'], key: 'page2-1' })
  await b.next((m) => m.type === 'ack')
  const back = await openWs(t, app, `/ws?resume=${start}`, WRITER)
  const hello = await back.next((m) => m.type === 'hello')
  assert.deepEqual(hello.missed, [{ revision: start + 1, ops: ['mine'], key: 'page1-1' }, { revision: start + 2, ops: [4, ' theirs'], key: 'page2-1' }])
  for (const resume of [-1, start + 99, 'x']) {
    const other = await openWs(t, app, `/ws?resume=${resume}`, WRITER)
    assert.equal((await other.next((m) => m.type === 'hello')).missed, null, String(resume))
  }
  const plain = await openWs(t, app, '/ws', WRITER)
  assert.equal('missed' in await plain.next((m) => m.type === 'hello'), false)
})
