/* global setInterval, clearInterval */
// Admin, "Audit": the server's audit log, newest first: when, who, what, on
// which grain. New events appear on their own (polled while the page shows);
// "Show older events" pages back through the log. Redrawing replaces only the
// table's rows, so the buttons keep the keyboard focus.
import { api } from '../api.js'
import { busy, h, replace } from '../h.js'
import { dataTable } from '../table.js'

const POLL_MS = 5000

const grantText = (p) => p === 'all' ? 'everything they hold' : String(p ?? '').split(',').filter(Boolean).join(', ')

function loginMethod (method = '') {
  if (method === 'password') return ' with a password'
  if (method === 'setup') return ' with the setup link'
  if (method.startsWith('oidc:')) return ` with ${method.slice('oidc:'.length)}`
  return ''
}

/** What happened, in words; the table shows who did it beside this. */
export function describeEvent (ev) {
  const d = ev.details
  const whom = ev.subjectName ?? 'someone'
  switch (ev.action) {
    case 'share': return `shared with ${whom}: ${grantText(d.permissions)}`
    case 'revoke': return `revoked the share to ${whom}`
    case 'link-create': return `created a sharing link: ${grantText(d.permissions)}`
    case 'link-redeem': return 'opened a sharing link'
    case 'link-revoke': return 'revoked a sharing link'
    case 'token-create': return `created an API token: ${grantText(d.permissions)}`
    case 'token-revoke': return 'revoked an API token'
    case 'login': return `logged in${loginMethod(d.method)}`
    case 'user-create': return `created the account of ${whom}${d.role && d.role !== 'user' ? ` (${d.role})` : ''}`
    case 'user-disable': return `disabled the account of ${whom}`
    case 'user-enable': return `enabled the account of ${whom}`
    case 'user-password': return `reset the password of ${whom}`
    case 'grain-stop': return 'stopped the grain'
    case 'grain-delete': return 'deleted the grain'
    case 'grain-export': return 'exported the grain'
    case 'grain-import': return 'imported the grain'
    default: return ev.action
  }
}

const row = (ev) => {
  const at = new Date(ev.at)
  return h('tr', { dataset: { eventId: ev.id, action: ev.action }, tabindex: -1 },
    h('td', null, h('time', { datetime: at.toISOString() }, at.toLocaleString())),
    // The `granary` command line (actor `cli`, core/audit.ts) is no person: set apart, so no display name can pass for it.
    h('td', null, h('span', { class: ev.actor === 'cli' ? 'who cli' : 'who' }, ev.actorName)),
    h('td', null, describeEvent(ev)),
    h('td', null, ev.grainId && (ev.grainTitle ?? h('span', { class: 'muted' }, 'a deleted grain'))))
}

export async function auditPanel (ctx, panel) {
  let { events, next } = await api.admin.audit()
  const table = dataTable({ id: 'audit-events', caption: 'Audit events, newest first', columns: ['Time', 'Who', 'What', 'Grain'] })
  const body = h('div')
  const older = h('button', { type: 'button', id: 'audit-older' }, 'Show older events')

  const draw = () => {
    table.setRows(events.map(row))
    replace(body, events.length === 0 ? h('p', { class: 'empty card' }, 'No events yet.') : table.element)
    older.hidden = next === undefined
  }

  /** Puts the newest events on top (all of them anew, if more came than one page holds). */
  const poll = async () => {
    const page = await api.admin.audit()
    const known = events.length === 0 ? -1 : page.events.findIndex((e) => e.id === events[0].id)
    if (known === 0) return
    if (known === -1) ({ events, next } = page)
    else events = [...page.events.slice(0, known), ...events]
    draw()
  }

  older.addEventListener('click', () => busy(older, async () => {
    try {
      const page = await api.admin.audit(next)
      events = [...events, ...page.events]
      next = page.next
      draw()
      // Start keyboard and screen-reader users at the first of the older events.
      table.element.querySelector(`tr[data-event-id="${page.events[0]?.id}"]`)?.focus()
    } catch (err) { ctx.fail(err) }
  }))

  replace(panel,
    h('div', { class: 'panel-head' },
      h('p', { class: 'summary' }, 'Logins, sharing and administration on this server, newest first.'),
      h('button', { type: 'button', onclick: (e) => busy(e.currentTarget, () => poll().catch(ctx.fail)) }, 'Refresh')),
    body,
    h('div', { class: 'actions more' }, older))
  draw()
  const timer = setInterval(() => { if (!document.hidden) poll().catch(() => {}) }, POLL_MS)
  return () => clearInterval(timer)
}
