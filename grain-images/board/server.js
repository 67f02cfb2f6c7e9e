// @ts-check
/**
 * Board: a task board per grain, with cards in three columns and comments.
 *
 * Permissions (manifest `board`), all enforced here on the server:
 * | permission | allows |
 * | --- | --- |
 * | `view` | see the board (UI, `GET /api/board`, live updates on `/ws`) |
 * | `comment` | `POST /api/cards/:id/comments`; delete one's own comments |
 * | `edit` | `POST /api/cards`, `PATCH /api/cards/:id` (title, text, column) |
 * | `manage` | `PATCH /api/board` (title), `DELETE /api/cards/:id`, delete anyone's comment |
 *
 * Every change is pushed to every open `/ws` as `{ type: 'board', board }`.
 */
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { WebSocketServer } from 'ws'
import { HttpError, appEnv, callerOf, jsonFile, need, readJson, refuseUpgrade, sendJson, serve, staticFiles, stringField } from './shared/grain.js'

const COLUMNS = ['todo', 'doing', 'done']
const MAX_BODY = 64 * 1024
const MAX_CARDS = 500
const MAX_COMMENTS = 200

/**
 * @typedef {{ id: string, author: string, authorId: string | null, text: string, at: number }} Comment
 * @typedef {{ id: string, title: string, text: string, column: string, createdAt: number, comments: Comment[] }} Card
 * @typedef {{ title: string, cards: Card[] }} Board
 */

const { port, dataDir } = appEnv()
const store = jsonFile(dataDir, 'board.json', () => /** @type {Board} */ ({ title: 'Task board', cards: [] }))
const newId = () => randomBytes(6).toString('hex')

const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 })

/** @param {Board} board */
function changed (board) {
  store.save(board)
  const message = JSON.stringify({ type: 'board', board })
  for (const ws of wss.clients) if (ws.readyState === ws.OPEN) ws.send(message)
}

/** @param {string} id */
function cardAt (id) {
  const board = store.get()
  const card = board.cards.find((c) => c.id === id)
  if (card === undefined) throw new HttpError(404, 'not_found', `no card ${id}`)
  return { board, card }
}

/** @param {Record<string, unknown>} body @returns {string | undefined} */
function columnField (body) {
  const column = body.column
  if (column === undefined) return undefined
  if (typeof column !== 'string' || !COLUMNS.includes(column)) throw new HttpError(400, 'bad_request', `"column" must be one of ${COLUMNS.join(', ')}`)
  return column
}

/** @type {Array<[string, RegExp, string, (ctx: { caller: import('./shared/grain.js').Caller, params: string[], body: () => Promise<Record<string, unknown>> }) => unknown]>} */
const routes = [
  ['GET', /^\/api\/board$/, 'view', ({ caller }) => ({ ...store.get(), columns: COLUMNS, permissions: [...caller.permissions], you: caller.userId ?? null })],
  ['PATCH', /^\/api\/board$/, 'manage', async ({ body }) => {
    const title = /** @type {string} */ (stringField(await body(), 'title', { max: 120, min: 1 }))
    const board = { ...store.get(), title: title.trim() }
    changed(board)
    return board
  }],
  ['POST', /^\/api\/cards$/, 'edit', async ({ body }) => {
    const b = await body()
    const board = store.get()
    if (board.cards.length >= MAX_CARDS) throw new HttpError(409, 'full', `a board holds at most ${MAX_CARDS} cards`)
    /** @type {Card} */
    const card = {
      id: newId(),
      title: /** @type {string} */ (stringField(b, 'title', { max: 200, min: 1 })).trim(),
      text: stringField(b, 'text', { max: 10_000, optional: true }) ?? '',
      column: columnField(b) ?? 'todo',
      createdAt: Date.now(),
      comments: [],
    }
    changed({ ...board, cards: [...board.cards, card] })
    return card
  }],
  ['PATCH', /^\/api\/cards\/([0-9a-f]{12})$/, 'edit', async ({ params, body }) => {
    const { board, card } = cardAt(params[0] ?? '')
    const b = await body()
    const title = stringField(b, 'title', { max: 200, min: 1, optional: true })
    const text = stringField(b, 'text', { max: 10_000, optional: true })
    const column = columnField(b)
    const next = { ...card, ...(title !== undefined ? { title: title.trim() } : {}), ...(text !== undefined ? { text } : {}), ...(column !== undefined ? { column } : {}) }
    changed({ ...board, cards: board.cards.map((c) => c.id === card.id ? next : c) })
    return next
  }],
  ['DELETE', /^\/api\/cards\/([0-9a-f]{12})$/, 'manage', ({ params }) => {
    const { board, card } = cardAt(params[0] ?? '')
    changed({ ...board, cards: board.cards.filter((c) => c.id !== card.id) })
    return { deleted: card.id }
  }],
  ['POST', /^\/api\/cards\/([0-9a-f]{12})\/comments$/, 'comment', async ({ caller, params, body }) => {
    const { board, card } = cardAt(params[0] ?? '')
    const text = /** @type {string} */ (stringField(await body(), 'text', { max: 2000, min: 1 }))
    if (card.comments.length >= MAX_COMMENTS) throw new HttpError(409, 'full', `a card holds at most ${MAX_COMMENTS} comments`)
    /** @type {Comment} */
    const comment = { id: newId(), author: caller.userName, authorId: caller.userId ?? null, text, at: Date.now() }
    changed({ ...board, cards: board.cards.map((c) => c.id === card.id ? { ...c, comments: [...c.comments, comment] } : c) })
    return comment
  }],
  ['DELETE', /^\/api\/cards\/([0-9a-f]{12})\/comments\/([0-9a-f]{12})$/, 'comment', ({ caller, params }) => {
    const { board, card } = cardAt(params[0] ?? '')
    const comment = card.comments.find((c) => c.id === params[1])
    if (comment === undefined) throw new HttpError(404, 'not_found', `no comment ${params[1]}`)
    // Anyone may take back their own words; only managers remove other people's.
    const own = caller.userId !== undefined && comment.authorId === caller.userId
    if (!own) need(caller, 'manage')
    changed({ ...board, cards: board.cards.map((c) => c.id === card.id ? { ...c, comments: c.comments.filter((k) => k.id !== comment.id) } : c) })
    return { deleted: comment.id }
  }],
]

const ui = staticFiles(fileURLToPath(new URL('./public/', import.meta.url)))

serve({
  name: 'board',
  port,
  async handle (req, res) {
    const caller = callerOf(req)
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    need(caller, 'view')
    const matching = routes.filter(([, pattern]) => pattern.test(path))
    if (matching.length > 0) {
      const route = matching.find(([method]) => method === req.method)
      if (route === undefined) throw new HttpError(405, 'method_not_allowed', `use ${matching.map(([m]) => m).join(' or ')}`)
      const [method, pattern, permission, run] = route
      need(caller, permission)
      const params = (pattern.exec(path) ?? []).slice(1)
      const answer = await run({ caller, params, body: () => readJson(req, MAX_BODY) })
      sendJson(res, method === 'POST' ? 201 : 200, answer)
      return
    }
    const file = req.method === 'GET' || req.method === 'HEAD' ? ui.get(path) : undefined
    if (file === undefined) throw new HttpError(404, 'not_found', `no ${req.method} ${path}`)
    res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length, 'x-content-type-options': 'nosniff' })
    res.end(req.method === 'HEAD' ? undefined : file.body)
  },
  upgrade (req, socket, head) {
    if ((req.url ?? '').split('?')[0] !== '/ws') { refuseUpgrade(socket, 404, 'Not Found'); return }
    if (!callerOf(req).permissions.has('view')) { refuseUpgrade(socket, 403, 'Forbidden'); return }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(JSON.stringify({ type: 'board', board: store.get() }))
      // The socket only listens; changes go through the HTTP API, where permissions are checked.
      ws.on('message', () => ws.close(1008, 'this socket only sends updates'))
    })
  },
  beforeExit: () => { if (store.pending()) store.flush() },
})
