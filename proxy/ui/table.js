// Data tables for the admin screen: a caption for screen readers, column
// headings, and rows the screen builds (`tr`s of `th scope=row`/`td` cells).
// On a phone the stylesheet shows each row as a card, every cell labelled with
// its column (`data-label`); since some browsers stop treating a table as a
// table once its display changes, the cells carry explicit table roles.
import { h, replace } from './h.js'

/**
 * `columns`: heading texts, or `{ label, hidden: true }` for a column whose
 * heading only screen readers need (a column of buttons). Answers the element
 * to place and `setRows(rows)`, which (re)fills the body.
 */
export function dataTable ({ id, caption, columns }) {
  const heads = columns.map((c) => typeof c === 'string' ? { label: c, hidden: false } : c)
  const tbody = h('tbody', { role: 'rowgroup' })
  const table = h('table', { class: 'data cards', id, role: 'table' },
    h('caption', { class: 'visually-hidden' }, caption),
    h('thead', { role: 'rowgroup' }, h('tr', { role: 'row' }, heads.map((c) =>
      h('th', { scope: 'col', role: 'columnheader' }, c.hidden ? h('span', { class: 'visually-hidden' }, c.label) : c.label)))),
    tbody)
  const setRows = (rows) => {
    for (const row of rows) {
      row.setAttribute('role', 'row')
      Array.from(row.children).forEach((cell, i) => {
        cell.setAttribute('role', cell.tagName === 'TH' ? 'rowheader' : 'cell')
        if (heads[i] !== undefined && !heads[i].hidden) cell.dataset.label = heads[i].label
      })
    }
    replace(tbody, rows)
  }
  return { element: h('div', { class: 'table-wrap' }, table), setRows }
}
