// @ts-check
/**
 * The note editor in the browser: a textarea kept in step with the server by
 * operational transformation. At most one edit is in flight (`outstanding`);
 * edits made meanwhile are composed into `buffer` and sent on the ack. A
 * remote edit is transformed over both, then applied with the cursor kept in
 * place, so typing never fights with other people's typing. Each edit sent
 * carries a key; after a lost connection the page reconnects with
 * `?resume=<revision>`, replays what it missed (its own edit, if it arrived,
 * counts as the ack) and sends again what never arrived.
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
/** Names this page's edits (`<page>-<n>`), so after a lost connection it can tell which ones arrived. */
const pageId = Math.random().toString(36).slice(2, 10)
let seq = 0
let outstandingKey = ''

/** @param {string} text @param {boolean} [offline] */
function setStatus (text, offline = false) {
  status.textContent = text
  status.classList.toggle('offline', offline)
}

/** Sends `outstanding` (under a new key, or the same one when sending it again). @param {boolean} [again] */
function sendOutstanding (again = false) {
  if (!again) outstandingKey = `${pageId}-${++seq}`
  ws?.send(JSON.stringify({ type: 'op', revision, ops: outstanding, key: outstandingKey }))
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
    sendOutstanding()
  } else {
    buffer = buffer === null ? op : compose(buffer, op)
  }
  setStatus('saving…')
}

/** @param {Op} op @param {boolean} [capture] take in what the user typed first */
function applyRemote (op, capture = true) {
  if (capture) captureLocal()
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

/** Our outstanding edit was applied as `rev`: send what was typed meanwhile. @param {number} rev */
function acknowledged (rev) {
  revision = rev
  outstanding = buffer
  buffer = null
  if (outstanding !== null) sendOutstanding()
  else setStatus('saved')
}

/**
 * Back after a lost connection with edits not yet acknowledged: replay what
 * happened meanwhile (our own edit, if it arrived, counts as its ack), then
 * send whatever is still ours. True if that worked; false if the server no
 * longer knows what happened since, and our unsaved edits cannot be merged.
 * @param {unknown} missed
 */
function resumeWith (missed) {
  if (!Array.isArray(missed)) return false
  const lostKey = outstandingKey
  let arrived = false
  for (const e of /** @type {Array<{ revision: number, ops: Op, key: string | null }>} */ (missed)) {
    if (!arrived && e.key === lostKey) {
      // It arrived: like an ack, which also sends what was typed after it.
      arrived = true
      acknowledged(e.revision)
    } else {
      revision = e.revision
      applyRemote(e.ops, false)
    }
  }
  // It never arrived: send it again, transformed over everything that did.
  if (!arrived) sendOutstanding(true)
  return true
}

/** @param {{ type: string, [k: string]: unknown }} m */
function onMessage (m) {
  switch (m.type) {
    case 'hello': {
      canWrite = m.canWrite === true
      let lost = false
      if (outstanding !== null && canWrite && resumeWith(m.missed)) {
        revision = /** @type {number} */ (m.revision)
      } else {
        lost = outstanding !== null
        revision = /** @type {number} */ (m.revision)
        shown = /** @type {string} */ (m.text)
        outstanding = null
        buffer = null
        textarea.value = shown
      }
      textarea.readOnly = !canWrite
      textarea.placeholder = canWrite ? 'Start typing…' : '(empty note)'
      mode.textContent = canWrite ? '' : 'read only'
      usersEl.textContent = `here: ${(/** @type {string[]} */ (m.users)).join(', ')}`
      if (lost) setStatus('your last edits could not be saved: the note changed too much while you were offline', true)
      else setStatus(outstanding === null ? 'saved' : 'saving…')
      retryMs = 500
      break
    }
    case 'ack':
      acknowledged(/** @type {number} */ (m.revision))
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
      outstanding = null
      buffer = null
      ws?.close()
      break
  }
}

function connect () {
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
  const resume = outstanding !== null ? `?resume=${revision}` : ''
  const socket = new WebSocket(`${proto}//${window.location.host}/ws${resume}`)
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
