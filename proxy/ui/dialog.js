/* global HTMLElement */
// Modal dialogs on the native <dialog> element: it traps focus, closes on
// Escape and returns focus to what opened it. `openDialog` adds the title,
// a close button and removal from the page once closed.
import { h } from './h.js'

let dialogCount = 0

/**
 * Opens a modal. `content` is a node (or a function given `close` that returns one).
 * Resolves nothing; `onClose` runs once when it closes, however it closes.
 */
export function openDialog ({ title, content, onClose, wide = false }) {
  const id = `dialog-${++dialogCount}`
  const opener = document.activeElement
  const dialog = h('dialog', { class: wide ? 'wide' : '', 'aria-labelledby': `${id}-title` })
  const close = () => dialog.close()
  dialog.append(
    h('header', { class: 'dialog-head' },
      h('h2', { id: `${id}-title` }, title),
      h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close', onclick: close }, '×')),
    h('div', { class: 'dialog-body' }, typeof content === 'function' ? content(close) : content),
  )
  dialog.addEventListener('close', () => {
    dialog.remove()
    if (opener instanceof HTMLElement && opener.isConnected) opener.focus()
    onClose?.()
  }, { once: true })
  // A click on the backdrop (outside the dialog box) closes it too.
  dialog.addEventListener('click', (e) => { if (e.target === dialog) close() })
  document.body.append(dialog)
  dialog.showModal()
  return { dialog, close }
}
