// @ts-check
/**
 * The note editor in the browser: a textarea kept in step with the server by
 * operational transformation. At most one edit is in flight (`outstanding`);
 * edits made meanwhile are composed into `buffer` and sent on the ack. A
 * remote edit is transformed over both, then applied with the cursor kept in
 * place, so typing never fights with other people's typing.
 */
import { apply, compose, diff, transform, transformIndex } from './ot.js'

const textarea = /** @type {HTMLTextAreaElement} */ (document.getElementById('text'))
const status = /** @type {HTMLElement} */ (document.getElementById('status'))
const mode = /** @type {HTMLElement} */ (document.getElementById('mode'))
const usersEl = /** @type {HTMLElement} */ (document.getElementById('users'))

/** @typedef {import('./ot.js').Op} Op */

let revision = 0
/** The text as this client's operations have left it (what the server will have after our ops). */
let shown = ''
/** @type {Op | null} */ let outstanding = null
/** @type {Op | null} */ let buffer = null
/** @type {WebSocket | undefined} */ let ws
let canWrite = false
let retryMs = 500

/** @param {string} text @param {boolean} [offline] */
function setStatus (text, offline = false) {
  status.textContent = text
  status.classList.toggle('offline', offline)
}

/** @param {Op} op */
function sendOp (op) {
  ws?.send(JSON.stringify({ type: 'op', revision, ops: op }))
}

const isNoop = (/** @type {Op} */ op) => op.every((c) => typeof c === 'number' && c > 0)

/** Turns whatever the user typed since the last call into an operation. */
function captureLocal () {
  if (!canWrite || textarea.value === shown) return
  const op = diff(shown, textarea.value)
  shown = textarea.value
  if (isNoop(op)) return
  if (outstanding === null) {
    outstanding = op
    sendOp(op)
  } else {
    buffer = buffer === null ? op : compose(buffer, op)
  }
  setStatus('saving…')
}

/** @param {Op} op */
function applyRemote (op) {
  captureLocal()
  if (outstanding !== null) [outstanding, op] = transform(outstanding, op)
  if (buffer !== null) [buffer, op] = transform(buffer, op)
  const focused = document.activeElement === textarea
  const start = transformIndex(textarea.selectionStart, op)
  const end = transformIndex(textarea.selectionEnd, op)
  const top = textarea.scrollTop
  shown = apply(shown, op)
  textarea.value = shown
  if (focused) textarea.setSelectionRange(start, end)
  textarea.scrollTop = top
}

/** @param {{ type: string, [k: string]: unknown }} m */
function onMessage (m) {
  switch (m.type) {
    case 'hello':
      revision = /** @type {number} */ (m.revision)
      shown = /** @type {string} */ (m.text)
      outstanding = null
      buffer = null
      textarea.value = shown
      canWrite = m.canWrite === true
      textarea.readOnly = !canWrite
      textarea.placeholder = canWrite ? 'Start typing…' : '(empty note)'
      mode.textContent = canWrite ? '' : 'read only'
      usersEl.textContent = `here: ${(/** @type {string[]} */ (m.users)).join(', ')}`
      setStatus('saved')
      retryMs = 500
      break
    case 'ack':
      revision = /** @type {number} */ (m.revision)
      outstanding = buffer
      buffer = null
      if (outstanding !== null) sendOp(outstanding)
      else setStatus('saved')
      break
    case 'op':
      revision = /** @type {number} */ (m.revision)
      applyRemote(/** @type {Op} */ (m.ops))
      break
    case 'users':
      usersEl.textContent = `here: ${(/** @type {string[]} */ (m.users)).join(', ')}`
      break
    case 'error':
      if (m.code === 'forbidden') {
        canWrite = false
        textarea.readOnly = true
        mode.textContent = 'read only'
      }
      setStatus(`error: ${String(m.message)}`, true)
      // Our copy may have diverged: start again from the server's text.
      ws?.close()
      break
  }
}

function connect () {
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
  const socket = new WebSocket(`${proto}//${window.location.host}/ws`)
  ws = socket
  socket.onmessage = (ev) => onMessage(JSON.parse(String(ev.data)))
  socket.onclose = () => {
    if (ws !== socket) return
    setStatus('offline, reconnecting…', true)
    textarea.readOnly = true
    window.setTimeout(connect, retryMs)
    retryMs = Math.min(retryMs * 2, 10_000)
  }
}

textarea.addEventListener('input', captureLocal)
connect()
