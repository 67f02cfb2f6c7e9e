/* global Node */
// The tiny render helper: `h(tag, props, ...children)` builds real DOM nodes.
// Screens re-render by replacing their subtree (`replace(el, ...)`); with the
// handful of nodes each screen has, that is fast and keeps state obvious.
// Text always goes through `createTextNode`, so user-supplied strings (titles,
// names) can never become markup.

/**
 * Creates an element. `props`: `class`, `for`, `on<event>` handlers, `dataset`,
 * boolean attributes (`true` sets, `false`/`null`/`undefined` omits), anything
 * else as an attribute. Children: nodes, strings, numbers, arrays, falsy (skipped).
 */
export function h (tag, props, ...children) {
  const el = document.createElement(tag)
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === false || value === null || value === undefined) continue
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value)
    else if (key === 'dataset') Object.assign(el.dataset, value)
    else if (key === 'value' && 'value' in el) el.value = value
    else el.setAttribute(key, value === true ? '' : String(value))
  }
  append(el, children)
  return el
}

function append (el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === '') continue
    el.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
}

/** Replaces every child of `el`. */
export function replace (el, ...children) {
  el.replaceChildren()
  append(el, children)
  return el
}

/** "just now", "5 min ago", "3 h ago", else a date. */
export function ago (ms, now = Date.now()) {
  if (!ms) return 'never'
  const s = Math.round((now - ms) / 1000)
  if (s < 60) return 'just now'
  if (s < 3600) return `${Math.floor(s / 60)} min ago`
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`
  if (s < 7 * 86400) return `${Math.floor(s / 86400)} d ago`
  return new Date(ms).toLocaleDateString()
}

let announceTimer
/** Tells screen readers (and sighted users, in the status bar) what just happened. */
export function announce (message, kind = 'info') {
  const el = document.getElementById('status')
  if (!el) return
  el.className = `status status-${kind}`
  el.textContent = message
  clearTimeout(announceTimer)
  announceTimer = setTimeout(() => { el.textContent = ''; el.className = 'status' }, 6000)
}

/** A form field: label, control, optional hint, all wired for screen readers. */
let fieldCount = 0
export function field (label, control, hint) {
  const id = control.id || `f${++fieldCount}`
  control.id = id
  const hintEl = hint ? h('small', { class: 'hint', id: `${id}-hint` }, hint) : null
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id)
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl)
}

/** The app icon: an emoji or short text from the manifest, or the name's first letter. */
export function appIcon (app, size = 'md') {
  const text = app?.icon || (app?.name ?? '?').slice(0, 1).toUpperCase()
  return h('span', { class: `app-icon app-icon-${size}`, 'aria-hidden': 'true' }, text)
}

/** Runs an async action with the button busy, so double clicks do nothing. */
export async function busy (button, fn) {
  if (button.disabled) return
  button.disabled = true
  button.setAttribute('aria-busy', 'true')
  try { return await fn() } finally {
    button.disabled = false
    button.removeAttribute('aria-busy')
  }
}
