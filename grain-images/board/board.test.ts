import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { test } from 'node:test'
import { call, startAppProcess } from '../../test/support/grain-app.js'
import { EDITOR, VIEWER, checkBoardHostileInput, checkBoardPermissions } from '../../test/support/board-checks.js'

test('board (process): view, comment, edit and manage each gate their own actions', async (t) => {
  const app = await startAppProcess(t, 'board')
  await checkBoardPermissions(t, app)
})

test('board (process): malformed and oversized input is refused with 4xx', async (t) => {
  const app = await startAppProcess(t, 'board')
  await checkBoardHostileInput(app)
})

test('board (process): the board survives a restart', async (t) => {
  const app = await startAppProcess(t, 'board')
  await call(app, 'POST', '/api/cards', EDITOR, { title: 'Persist me' })
  await app.stop()
  assert.deepEqual(readdirSync(app.dataDir), ['board.json'])
  const again = await startAppProcess(t, 'board', app.dataDir)
  assert.deepEqual((await call(again, 'GET', '/api/board', VIEWER)).body.cards.map((c: { title: string }) => c.title), ['Persist me'])
})
