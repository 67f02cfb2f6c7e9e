/**
 * What a user of the task board relies on, as checks that run against any
 * running copy of it (a plain process or a container): each of view, comment,
 * edit and manage gates exactly its own actions, on the server.
 */
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { call, openWs, type RunningApp } from './grain-app.js'

export const VIEWER = { permissions: 'view', userId: '1'.repeat(32), userName: 'Vera' }
export const COMMENTER = { permissions: 'view,comment', userId: '2'.repeat(32), userName: 'Cem' }
export const EDITOR = { permissions: 'view,comment,edit', userId: '3'.repeat(32), userName: 'Eda' }
export const MANAGER = { permissions: 'view,comment,edit,manage', userId: '4'.repeat(32), userName: 'Max%20M' }

export async function checkBoardPermissions (t: TestContext, app: RunningApp): Promise<void> {
  for (const caller of [{}, { permissions: 'comment,edit,manage' }, { permissions: 'View' }]) {
    assert.equal((await call(app, 'GET', '/api/board', caller)).status, 403, JSON.stringify(caller))
    assert.equal((await call(app, 'GET', '/', caller)).status, 403, JSON.stringify(caller))
  }
  await assert.rejects(openWs(t, app, '/ws', { permissions: 'edit' }), /upgrade refused: 403/)
  const live = await openWs(t, app, '/ws', VIEWER)
  await live.next((m) => m.type === 'board')

  // edit: add cards. Viewers and commenters cannot.
  for (const caller of [VIEWER, COMMENTER]) assert.equal((await call(app, 'POST', '/api/cards', caller, { title: 'nope' })).status, 403)
  const created = await call(app, 'POST', '/api/cards', EDITOR, { title: 'Write the docs', text: 'all of them' })
  assert.equal(created.status, 201)
  const card = created.body
  assert.equal(card.column, 'todo')
  const pushed = await live.next((m) => m.type === 'board' && m.board.cards.length === 1)
  assert.equal(pushed.board.cards[0].title, 'Write the docs')

  // edit: move and change cards.
  for (const caller of [VIEWER, COMMENTER]) assert.equal((await call(app, 'PATCH', `/api/cards/${card.id}`, caller, { column: 'done' })).status, 403)
  assert.equal((await call(app, 'PATCH', `/api/cards/${card.id}`, EDITOR, { column: 'doing' })).body.column, 'doing')
  assert.equal((await call(app, 'PATCH', `/api/cards/${card.id}`, EDITOR, { column: 'nowhere' })).status, 400)

  // comment: viewers cannot; commenters can; anyone may remove their own, only managers others'.
  assert.equal((await call(app, 'POST', `/api/cards/${card.id}/comments`, VIEWER, { text: 'hi' })).status, 403)
  const comment = await call(app, 'POST', `/api/cards/${card.id}/comments`, COMMENTER, { text: 'Looks good' })
  assert.equal(comment.status, 201)
  assert.equal(comment.body.author, 'Cem')
  assert.equal((await call(app, 'DELETE', `/api/cards/${card.id}/comments/${comment.body.id}`, EDITOR)).status, 403)
  assert.equal((await call(app, 'DELETE', `/api/cards/${card.id}/comments/${comment.body.id}`, { ...COMMENTER, userId: undefined })).status, 403)
  assert.equal((await call(app, 'DELETE', `/api/cards/${card.id}/comments/${comment.body.id}`, COMMENTER)).status, 200)
  const other = await call(app, 'POST', `/api/cards/${card.id}/comments`, EDITOR, { text: 'by Eda' })
  assert.equal((await call(app, 'DELETE', `/api/cards/${card.id}/comments/${other.body.id}`, MANAGER)).status, 200)

  // manage: rename the board, delete cards.
  for (const caller of [VIEWER, COMMENTER, EDITOR]) {
    assert.equal((await call(app, 'PATCH', '/api/board', caller, { title: 'Mine now' })).status, 403)
    assert.equal((await call(app, 'DELETE', `/api/cards/${card.id}`, caller)).status, 403)
  }
  assert.equal((await call(app, 'PATCH', '/api/board', MANAGER, { title: 'Launch' })).body.title, 'Launch')
  assert.equal((await call(app, 'DELETE', `/api/cards/${card.id}`, MANAGER)).status, 200)
  const board = await call(app, 'GET', '/api/board', VIEWER)
  assert.deepEqual({ title: board.body.title, cards: board.body.cards, permissions: board.body.permissions }, { title: 'Launch', cards: [], permissions: ['view'] })

  // The update socket only listens: writing to it is refused and closes it.
  live.send({ type: 'board', board: { title: 'hijack', cards: [] } })
  await new Promise((resolve) => live.socket.once('close', resolve))
  assert.equal((await call(app, 'GET', '/api/board', VIEWER)).body.title, 'Launch')
}

export async function checkBoardHostileInput (app: RunningApp): Promise<void> {
  assert.equal((await call(app, 'POST', '/api/cards', EDITOR, '{"title":')).status, 400)
  assert.equal((await call(app, 'POST', '/api/cards', EDITOR, { title: '   ' })).status, 400)
  assert.equal((await call(app, 'POST', '/api/cards', EDITOR, { title: 'x'.repeat(201) })).status, 400)
  assert.equal((await call(app, 'POST', '/api/cards', EDITOR, { title: 'x'.repeat(70_000) })).status, 413)
  assert.equal((await call(app, 'POST', '/api/cards', EDITOR, ['title'])).status, 400)
  assert.equal((await call(app, 'PATCH', '/api/cards/000000000000', EDITOR, { title: 'x' })).status, 404)
  assert.equal((await call(app, 'PATCH', '/api/cards/../../board', EDITOR, { title: 'x' })).status, 404)
  assert.equal((await call(app, 'PUT', '/api/board', MANAGER, { title: 'x' })).status, 405)
  const xss = await call(app, 'POST', '/api/cards', EDITOR, { title: '<img src=x onerror=alert(1)>' })
  assert.equal(xss.status, 201)
  assert.equal(xss.body.title, '<img src=x onerror=alert(1)>')
}
