import assert from 'node:assert/strict'
import { test } from 'node:test'
import { docker, removeTestResources } from '../test/support/docker.js'
import { testRunId } from '../test/support/env.js'
import { call, startAppContainer } from '../test/support/grain-app.js'
import { checkBoardPermissions } from '../test/support/board-checks.js'
import { WRITER, checkNotesHttpPermissions, checkNotesLiveEditing, checkNotesWebSocketPermissions } from '../test/support/notes-checks.js'

// The images the test command builds (scripts/build-grain-images.sh), run as the platform runs them.

test('notes (container): runs as an unprivileged user, enforces read/write, edits live, keeps its data in /data', async (t) => {
  const runId = testRunId()
  t.after(() => removeTestResources(runId))
  const app = await startAppContainer(t, 'granary/notes:local', runId, { dataVolumeAt: '/data' })
  const info = await docker.getContainer(app.id).inspect()
  assert.equal(info.Config.User, '1000')
  await checkNotesHttpPermissions(app)
  await checkNotesWebSocketPermissions(t, app)
  await checkNotesLiveEditing(t, app)
  await call(app, 'PUT', '/api/note', WRITER, { text: 'on disk' })
  const again = await app.restart()
  assert.equal((await call(again, 'GET', '/api/note', WRITER)).body.text, 'on disk')
})

test('board (container): view, comment, edit and manage each gate their own actions', async (t) => {
  const runId = testRunId()
  t.after(() => removeTestResources(runId))
  const app = await startAppContainer(t, 'granary/board:local', runId)
  await checkBoardPermissions(t, app)
})
