import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { test } from 'node:test'
import { call, openWs, startAppProcess } from '../../test/support/grain-app.js'
import { WRITER, checkNotesHostileInput, checkNotesHttpPermissions, checkNotesLiveEditing, checkNotesWebSocketPermissions } from '../../test/support/notes-checks.js'

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
