/* global location */
// Opening a sharing link. The link's secret travels in the URL fragment
// (`/link#<secret>`, moved to `#/link/<secret>` by the router), so it never
// reaches a server log or a Referer. Logged in: the API redeems it (a share
// from the link to this user) and the grain opens like any other. Not logged
// in: the grain opens anonymously if the link and the app allow it; else the
// login screen comes first and brings the user back here.
import { api } from '../api.js'
import { h, replace } from '../h.js'

export async function renderLink (ctx, secret) {
  replace(ctx.main, h('p', { class: 'loading', role: 'status' }, 'Opening the shared grain…'))
  let answer
  try {
    answer = await api.openLink(secret)
  } catch (err) {
    if (err.status === 401) return ctx.loggedOut()
    replace(ctx.main, h('div', { class: 'card error-card', role: 'alert' },
      h('h1', null, 'This link does not work'),
      h('p', null, err.status === 404 || err.status === 410 ? 'It was revoked, has expired, or is mistyped. Ask whoever sent it for a new one.' : err.message),
      h('p', null, h('a', { href: ctx.me ? '#/grains' : '#/login' }, ctx.me ? 'Back to your grains' : 'Log in'))))
    return
  }
  if (ctx.me) {
    location.replace(`#/grain/${encodeURIComponent(answer.grainId)}`)
    return
  }
  // Anonymous: the grain alone, with a way to log in.
  replace(ctx.main, h('div', { class: 'grain-view' },
    h('div', { class: 'grain-bar' },
      h('div', { class: 'grain-bar-title' }, h('h1', { id: 'grain-title' }, 'Shared with you'), h('span', { class: 'grain-meta' }, 'You are not logged in')),
      h('div', { class: 'grain-bar-actions' }, h('a', { class: 'button', href: '#/login' }, 'Log in'))),
    h('div', { class: 'grain-stage' }, h('iframe', { class: 'grain-frame', id: 'grain-frame', title: 'Shared grain', src: answer.url, referrerpolicy: 'same-origin' }))))
}
