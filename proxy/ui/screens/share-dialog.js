/* global location, navigator */
// The share dialog: share with a person (username + role), or make a sharing
// link for a role and copy it; list the grain's links and revoke them. The
// list is fetched again after every change, so what it shows is what is.
import { api } from '../api.js'
import { openDialog } from '../dialog.js'
import { announce, busy, field, h, replace } from '../h.js'

/** Roles the viewer may hand on: those within what they hold (all, if the API did not say). */
export function shareableRoles (app, held) {
  if (held.length === 0) return app.roles
  return app.roles.filter((r) => r.permissions.every((p) => held.includes(p)))
}

export function roleLabel (app, roleId, permissions = []) {
  if (roleId === EVERYTHING) return 'everything you hold'
  const role = app.roles.find((r) => r.id === roleId)
  if (role) return role.title
  if (permissions.length === 0) return 'nothing'
  return permissions.map((p) => app.permissions.find((q) => q.id === p)?.title ?? p).join(', ')
}

/** The URL to hand out for a new link: the API's, else the shell's link route with the secret. */
export function linkUrl (answer) {
  if (answer?.url) return new URL(answer.url, location.origin).href
  const secret = answer?.secret ?? answer?.token ?? answer?.link?.secret
  return secret ? `${location.origin}/#/link/${encodeURIComponent(secret)}` : ''
}

/** The value of the "everything you hold" choice: the share follows what the sharer holds at each request. */
export const EVERYTHING = 'all'

function roleSelect (id, roles, everything) {
  const initial = roles.find((r) => r.default) ?? roles[0]
  return h('select', { id, name: 'role' },
    roles.map((r) => h('option', { value: r.id, selected: r === initial }, `${r.title} (${r.permissions.join(', ') || 'no permissions'})`)),
    everything && h('option', { value: EVERYTHING }, 'Everything you hold (follows your own access)'))
}

export function openShareDialog (ctx, grain, app) {
  const roles = shareableRoles(app, grain.permissions)
  const linksBox = h('div', { class: 'links', 'aria-live': 'polite' })
  const newLinkBox = h('div', { class: 'new-link' })

  const refreshLinks = async () => {
    let access
    try { access = await api.access(grain.id, ctx.me) } catch (err) { return ctx.fail(err) }
    const links = access.links
    replace(linksBox,
      h('h3', null, 'Sharing links'),
      links.length === 0
        ? h('p', { class: 'empty' }, 'No sharing links.')
        : h('ul', { class: 'plain rows', id: 'link-list' }, links.map((l) => h('li', { class: 'row', dataset: { linkId: l.id } },
          h('span', null, roleLabel(app, l.role, l.permissions), l.allowAnonymous ? h('small', null, ' · anyone') : '', l.createdBy ? h('small', null, ` · by ${l.createdBy}`) : ''),
          l.canRevoke && h('button', {
            type: 'button',
            class: 'danger small',
            'aria-label': `Revoke ${roleLabel(app, l.role, l.permissions)} link`,
            onclick: (e) => busy(e.currentTarget, async () => {
              try {
                await api.revokeLink(grain.id, l.id)
                announce('Link revoked: everyone who came through it lost access.')
              } catch (err) { ctx.fail(err) }
              await refreshLinks()
            }),
          }, 'Revoke')))))
  }

  const person = h('input', { id: 'share-username', name: 'to', required: true, autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' })
  const personRole = roleSelect('share-role', roles, true)
  const shareButton = h('button', { type: 'submit', class: 'primary' }, 'Share')
  const personError = h('p', { class: 'form-error', role: 'alert', hidden: true })
  const shareForm = h('form', {
    class: 'stack',
    id: 'share-form',
    onsubmit: (e) => {
      e.preventDefault()
      busy(shareButton, async () => {
        personError.hidden = true
        const to = person.value.trim()
        try {
          await api.share(grain.id, to, personRole.value)
          announce(`Shared with ${to} as ${roleLabel(app, personRole.value)}.`)
          person.value = ''
          person.focus()
        } catch (err) {
          if (err.status === 401) return ctx.loggedOut()
          personError.textContent = err.message
          personError.hidden = false
        }
      })
    },
  }, field('Username', person), field('Role', personRole), personError, h('div', { class: 'actions' }, shareButton))

  const linkRole = roleSelect('link-role', roles, false)
  const anonymous = h('input', { type: 'checkbox', id: 'link-anonymous', name: 'allowAnonymous' })
  const anonymousField = app.allowAnonymous
    ? h('div', { class: 'check' }, anonymous, h('label', { for: 'link-anonymous' }, 'Also works for people without an account'))
    : null
  const linkButton = h('button', { type: 'submit' }, 'Create link')
  const linkForm = h('form', {
    class: 'stack',
    id: 'link-form',
    onsubmit: (e) => {
      e.preventDefault()
      busy(linkButton, async () => {
        try {
          const link = await api.createLink(grain.id, linkRole.value, anonymous.checked)
          const url = linkUrl(link)
          const input = h('input', { id: 'new-link-url', readonly: true, value: url, onfocus: (ev) => ev.target.select() })
          const copy = h('button', {
            type: 'button',
            onclick: async () => {
              try { await navigator.clipboard.writeText(url); announce('Link copied.') } catch { input.select(); announce('Press Ctrl+C to copy the selected link.') }
            },
          }, 'Copy')
          replace(newLinkBox, field('New link (anyone who opens it gets this role)', input), h('div', { class: 'actions' }, copy))
          input.focus()
        } catch (err) { ctx.fail(err) }
        await refreshLinks()
      })
    },
  }, field('Role for the link', linkRole), anonymousField, h('div', { class: 'actions' }, linkButton))

  openDialog({
    title: `Share “${grain.title}”`,
    content: roles.length === 0
      ? h('p', null, 'You hold no permissions on this grain, so you have nothing to share.')
      : h('div', { class: 'stack' },
        h('section', { 'aria-labelledby': 'share-person-title' }, h('h3', { id: 'share-person-title' }, 'With a person'), shareForm),
        h('section', { 'aria-labelledby': 'share-link-title' }, h('h3', { id: 'share-link-title' }, 'With a link'), linkForm, newLinkBox),
        linksBox),
  })
  if (roles.length > 0) {
    person.focus()
    refreshLinks()
  }
}
