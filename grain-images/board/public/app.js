// @ts-check
/**
 * The task board in the browser. The server decides what each person may do;
 * this page only hides the buttons that would be refused. Everything shown
 * comes from `/ws` updates and is written with textContent (never as HTML).
 */

/** @typedef {{ id: string, author: string, authorId: string | null, text: string, at: number }} Comment */
/** @typedef {{ id: string, title: string, text: string, column: string, comments: Comment[] }} Card */
/** @typedef {{ title: string, cards: Card[] }} Board */

const COLUMNS = [['todo', 'To do'], ['doing', 'Doing'], ['done', 'Done']]
const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id))

/** @type {Set<string>} */ let can = new Set()
/** @type {string | null} */ let you = null

/**
 * @param {string} method @param {string} path @param {unknown} [body]
 */
async function call (method, path, body) {
  $('error').textContent = ''
  const res = await fetch(path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? null : JSON.stringify(body) })
  if (!res.ok) {
    const answer = await res.json().catch(() => ({}))
    $('error').textContent = answer?.error?.message ?? `failed (${res.status})`
  }
}

/**
 * @param {string} tag @param {string} [text] @param {Record<string, string>} [attrs]
 * @returns {HTMLElement}
 */
function el (tag, text, attrs = {}) {
  const node = document.createElement(tag)
  if (text !== undefined) node.textContent = text
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v)
  return node
}

/** @param {string} label @param {() => void} onClick */
function button (label, onClick) {
  const b = el('button', label, { type: 'button' })
  b.addEventListener('click', onClick)
  return b
}

/** @param {Card} card */
function cardView (card) {
  const article = el('article', undefined, { 'data-card': card.id })
  article.append(el('h3', card.title))
  if (card.text !== '') article.append(el('p', card.text))
  const actions = el('div', undefined, { class: 'actions' })
  if (can.has('edit')) {
    const at = COLUMNS.findIndex(([id]) => id === card.column)
    const prev = COLUMNS[at - 1]
    const next = COLUMNS[at + 1]
    if (prev !== undefined) actions.append(button(`← ${prev[1]}`, () => call('PATCH', `api/cards/${card.id}`, { column: prev[0] })))
    if (next !== undefined) actions.append(button(`${next[1]} →`, () => call('PATCH', `api/cards/${card.id}`, { column: next[0] })))
  }
  if (can.has('manage')) actions.append(button('Delete', () => call('DELETE', `api/cards/${card.id}`)))
  article.append(actions)
  const list = el('ul')
  for (const c of card.comments) {
    const li = el('li')
    li.append(el('b', `${c.author}: `), document.createTextNode(c.text))
    if (can.has('manage') || (c.authorId !== null && c.authorId === you)) li.append(' ', button('×', () => call('DELETE', `api/cards/${card.id}/comments/${c.id}`)))
    list.append(li)
  }
  article.append(list)
  if (can.has('comment')) {
    const form = el('form')
    const input = /** @type {HTMLInputElement} */ (el('input', undefined, { placeholder: 'Comment…', 'aria-label': 'Comment', maxlength: '2000' }))
    form.append(input)
    form.addEventListener('submit', (ev) => {
      ev.preventDefault()
      if (input.value.trim() !== '') call('POST', `api/cards/${card.id}/comments`, { text: input.value })
      input.value = ''
    })
    article.append(form)
  }
  return article
}

/** @param {Board} board */
function render (board) {
  $('title').textContent = `📋 ${board.title}`
  document.title = board.title
  const columns = $('columns')
  columns.replaceChildren(...COLUMNS.map(([id, name]) => {
    const section = el('section', undefined, { 'data-column': id ?? '' })
    section.append(el('h2', name), ...board.cards.filter((c) => c.column === id).map(cardView))
    return section
  }))
}

async function start () {
  const res = await fetch('api/board')
  if (!res.ok) { $('status').textContent = 'you cannot see this board'; return }
  const first = await res.json()
  can = new Set(first.permissions)
  you = first.you
  $('add').hidden = !can.has('edit')
  $('rename').hidden = !can.has('manage')
  render(first)
  connect()
}

function connect () {
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
  const ws = new WebSocket(`${proto}//${window.location.host}/ws`)
  ws.onopen = () => { $('status').textContent = 'live' }
  ws.onmessage = (ev) => render(JSON.parse(String(ev.data)).board)
  ws.onclose = () => {
    $('status').textContent = 'offline, reconnecting…'
    window.setTimeout(connect, 2000)
  }
}

$('add').addEventListener('submit', (ev) => {
  ev.preventDefault()
  const input = /** @type {HTMLInputElement} */ ($('add-title'))
  if (input.value.trim() !== '') call('POST', 'api/cards', { title: input.value })
  input.value = ''
})
$('rename').addEventListener('submit', (ev) => {
  ev.preventDefault()
  const input = /** @type {HTMLInputElement} */ ($('rename-input'))
  if (input.value.trim() !== '') call('PATCH', 'api/board', { title: input.value })
  input.value = ''
})
start()
