/* global location */
// Opening a sharing link while logged in: redeem it (the API records a share
// from the link to this user), then open the grain it leads to.
import { api } from '../api.js'
import { h, replace } from '../h.js'

export async function renderLink (ctx, token) {
  replace(ctx.main, h('p', { class: 'loading', role: 'status' }, 'Opening the shared grain…'))
  try {
    const answer = await api.redeemLink(token)
    const grainId = answer?.grainId ?? answer?.grain?.id ?? answer?.id
    location.replace(`#/grain/${encodeURIComponent(grainId)}`)
  } catch (err) {
    if (err.status === 401) return ctx.loggedOut()
    replace(ctx.main, h('div', { class: 'card error-card', role: 'alert' },
      h('h1', null, 'This link does not work'),
      h('p', null, err.status === 404 || err.status === 410 ? 'It was revoked, or it never existed. Ask whoever sent it for a new one.' : err.message),
      h('p', null, h('a', { href: '#/grains' }, 'Back to your grains'))))
  }
}
