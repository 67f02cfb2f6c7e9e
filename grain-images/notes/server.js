// @ts-check
/**
 * Notes: one collaborative text document per grain.
 *
 * Permissions (manifest `notes`): `read` sees the note and follows edits
 * live; `write` changes it. Both are enforced here, on the server, for HTTP
 * and for the WebSocket: a client without `write` cannot change a character.
 *
 * Live editing uses operational transformation (`public/ot.js`): each client
 * sends operations against the last revision it saw; the server transforms
 * them over what happened since, applies them, acknowledges the sender and
 * relays them to everyone else. Two people typing at once both keep every
 * keystroke.
 *
 * HTTP: `GET /` the UI; `GET /api/note` → `{ text, revision, canWrite }`
 * (read); `PUT /api/note {text}` replaces the text (write). WebSocket `/ws`
 * (read): see `protocol` below.
 */
import { fileURLToPath } from 'node:url'
import { WebSocketServer } from 'ws'
import { HttpError, appEnv, callerOf, jsonFile, need, readJson, refuseUpgrade, sendJson, serve, staticFiles, stringField } from './shared/grain.js'
import { apply, baseLength, isOp, transform } from './public/ot.js'

const MAX_TEXT = 1_000_000
/** Operations kept to transform late arrivals against (by count and by inserted characters); an older client resynchronises. */
const HISTORY = 2000
const HISTORY_CHARS = 4_000_000
const MAX_MESSAGE_BYTES = 2 * MAX_TEXT

/*
 * protocol (JSON messages over /ws):
 * server → client  { type: 'hello', text, revision, canWrite, users: string[], missed? }   on connect;
 *                  with `/ws?resume=<revision>`, `missed` lists the edits since then as
 *                  [{ revision, ops, key }] (null if they are no longer known)
 *                  { type: 'op', revision, ops }        someone else's edit, the doc is now at `revision`
 *                  { type: 'ack', revision }            your edit was applied as `revision`
 *                  { type: 'users', users: string[] }   who is here
 *                  { type: 'error', code, message }     e.g. code 'forbidden' for an edit without write
 * client → server  { type: 'op', revision, ops, key? }  an edit made on `revision`; `key` (≤ 64 of [A-Za-z0-9_-])
 *                                                       names it, so after a lost connection the client can
 *                                                       tell whether it was applied
 */

const { port, dataDir } = appEnv()
const store = jsonFile(dataDir, 'note.json', () => ({ text: '', revision: 0 }))
/** @type {import('./public/ot.js').Op[]} the last operations, `history[k]` made revision `first + k + 1` */
let history = []
/** @type {Array<string | null>} the key each client gave the operation in `history` (same index) */
let historyKeys = []
let first = store.get().revision
let historyChars = 0

/** @param {import('./public/ot.js').Op} op @returns {number} */
const insertedChars = (op) => op.reduce((/** @type {number} */ n, c) => n + (typeof c === 'string' ? c.length : 0), 0)

/**
 * Applies an operation made on `revision`. Returns the operation as applied and
 * the new revision; throws an HttpError when it cannot apply. `key` is the
 * client's name for the edit, so a client that lost its connection before the
 * ack can tell whether the edit made it (see `missedSince`).
 * @param {unknown} ops @param {unknown} revision @param {string | null} [key]
 */
function edit (ops, revision, key = null) {
  const doc = store.get()
  if (!isOp(ops)) throw new HttpError(400, 'bad_request', 'ops must be a list of retains (n > 0), deletes (n < 0) and inserts (strings)')
  if (typeof revision !== 'number' || !Number.isInteger(revision) || revision > doc.revision) throw new HttpError(400, 'bad_request', 'unknown revision')
  if (revision < first) throw new HttpError(409, 'stale', 'your copy is too old; reload')
  let op = ops
  for (const past of history.slice(revision - first)) op = transform(op, past)[0]
  if (baseLength(op) !== doc.text.length) throw new HttpError(400, 'bad_request', 'operation does not fit the text')
  const text = apply(doc.text, op)
  if (text.length > MAX_TEXT) throw new HttpError(413, 'too_large', `a note holds at most ${MAX_TEXT} characters`)
  history.push(op)
  historyKeys.push(key)
  historyChars += insertedChars(op)
  let drop = 0
  while (drop < history.length - 1 && (history.length - drop > HISTORY || historyChars > HISTORY_CHARS)) {
    historyChars -= insertedChars(/** @type {import('./public/ot.js').Op} */ (history[drop]))
    drop++
  }
  if (drop > 0) {
    first += drop
    history = history.slice(drop)
    historyKeys = historyKeys.slice(drop)
  }
  store.save({ text, revision: doc.revision + 1 })
  return { op, revision: doc.revision + 1 }
}

/**
 * The edits made after `revision`, for a client resuming after a lost
 * connection; null when they are no longer all in the history.
 * @param {number} revision
 */
function missedSince (revision) {
  const current = store.get().revision
  if (!Number.isInteger(revision) || revision < first || revision > current) return null
  return history.slice(revision - first).map((ops, i) => ({ revision: revision + i + 1, ops, key: historyKeys[revision - first + i] ?? null }))
}

const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES })
/** @type {Map<import('ws').WebSocket, import('./shared/grain.js').Caller>} */
const clients = new Map()

/** @param {import('ws').WebSocket} ws @param {unknown} message */
const send = (ws, message) => { if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message)) }

/** @param {unknown} message @param {import('ws').WebSocket} [except] */
function broadcast (message, except) {
  for (const ws of clients.keys()) if (ws !== except) send(ws, message)
}

const users = () => [...clients.values()].map((c) => c.userName)

/** @param {import('ws').WebSocket} except @param {import('./public/ot.js').Op} op @param {number} revision */
const relay = (except, op, revision) => broadcast({ type: 'op', revision, ops: op }, except)

/**
 * @param {import('ws').WebSocket} ws @param {import('./shared/grain.js').Caller} caller
 * @param {number | undefined} resume the revision a reconnecting client last saw
 */
function connected (ws, caller, resume) {
  clients.set(ws, caller)
  const doc = store.get()
  send(ws, {
    type: 'hello',
    text: doc.text,
    revision: doc.revision,
    canWrite: caller.permissions.has('write'),
    users: users(),
    ...(resume !== undefined ? { missed: missedSince(resume) } : {}),
  })
  broadcast({ type: 'users', users: users() }, ws)
  ws.on('message', (data, isBinary) => {
    /** @type {{ type?: unknown, ops?: unknown, revision?: unknown, key?: unknown }} */
    let message
    try {
      message = isBinary ? {} : JSON.parse(data.toString())
    } catch {
      message = {}
    }
    if (message === null || typeof message !== 'object' || message.type !== 'op') {
      send(ws, { type: 'error', code: 'bad_request', message: 'expected { type: "op", revision, ops }' })
      return
    }
    if (!caller.permissions.has('write')) {
      send(ws, { type: 'error', code: 'forbidden', message: 'you need the "write" permission to edit this note' })
      return
    }
    try {
      const key = typeof message.key === 'string' && /^[\w-]{1,64}$/.test(message.key) ? message.key : null
      const { op, revision } = edit(message.ops, message.revision, key)
      send(ws, { type: 'ack', revision })
      relay(ws, op, revision)
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(400, 'bad_request', String(err))
      send(ws, { type: 'error', code: e.code, message: e.message })
    }
  })
  ws.on('close', () => {
    clients.delete(ws)
    broadcast({ type: 'users', users: users() })
  })
}

const ui = staticFiles(fileURLToPath(new URL('./public/', import.meta.url)))

serve({
  name: 'notes',
  port,
  async handle (req, res) {
    const caller = callerOf(req)
    const path = (req.url ?? '/').split('?')[0]
    need(caller, 'read')
    if (path === '/api/note') {
      if (req.method === 'GET') {
        const doc = store.get()
        sendJson(res, 200, { text: doc.text, revision: doc.revision, canWrite: caller.permissions.has('write') })
        return
      }
      if (req.method === 'PUT') {
        need(caller, 'write')
        const body = await readJson(req, MAX_MESSAGE_BYTES)
        const text = /** @type {string} */ (stringField(body, 'text', { max: MAX_TEXT }))
        const doc = store.get()
        // A whole-text replacement is an operation too, so live editors see it.
        const op = /** @type {import('./public/ot.js').Op} */ ([text, -doc.text.length].filter((c) => c !== '' && c !== 0))
        if (op.length === 0) { sendJson(res, 200, { revision: doc.revision }); return }
        const applied = edit(op, doc.revision)
        broadcast({ type: 'op', revision: applied.revision, ops: applied.op })
        sendJson(res, 200, { revision: applied.revision })
        return
      }
      throw new HttpError(405, 'method_not_allowed', 'use GET or PUT')
    }
    const file = req.method === 'GET' || req.method === 'HEAD' ? ui.get(path ?? '/') : undefined
    if (file === undefined) throw new HttpError(404, 'not_found', `no ${req.method} ${path}`)
    res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length, 'x-content-type-options': 'nosniff' })
    res.end(req.method === 'HEAD' ? undefined : file.body)
  },
  upgrade (req, socket, head) {
    const caller = callerOf(req)
    const url = new URL(req.url ?? '/', 'http://grain')
    if (url.pathname !== '/ws') { refuseUpgrade(socket, 404, 'Not Found'); return }
    if (!caller.permissions.has('read')) { refuseUpgrade(socket, 403, 'Forbidden'); return }
    const resume = url.searchParams.get('resume')
    wss.handleUpgrade(req, socket, head, (ws) => connected(ws, caller, resume === null ? undefined : Number(resume)))
  },
  beforeExit: () => { if (store.pending()) store.flush() },
})
