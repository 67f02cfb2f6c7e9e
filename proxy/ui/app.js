/* global history, location, sessionStorage, URLSearchParams */
// Granary's shell: the single page served at `/`, hash-routed.
//
// Why plain ES modules and no framework: the shell is a handful of screens
// (login, grain list, grain view, share and access dialogs, admin) whose state
// is "what the API said last"; every action re-fetches and re-renders. That
// needs DOM creation, not a diffing engine. Plain modules load straight from
// the proxy with no build step, no vendored bundle and nothing to keep in step
// with node_modules, and a strict CSP (`script-src 'self'`) holds with no
// exceptions. The one helper (`h.js`, ~80 lines) builds nodes and keeps user
// text out of markup by construction. The native <dialog> element gives
// modals with focus trapping and Escape for free.
//
// Routes: #/login, #/grains, #/grain/<id>, #/admin[/<tab>], #/link/<token>.
// A route may end in `?name=value&...`: `#/login?error=<code>` is where a
// failed OpenID Connect login lands (proxy/api/oidc-routes.ts).

import { api } from './api.js'
import { announce, h, replace } from './h.js'
import { providerLoginMessage, renderLogin } from './screens/login.js'
import { renderGrains } from './screens/grains.js'
import { renderGrain } from './screens/grain.js'
import { renderAdmin } from './screens/admin.js'
import { renderLink } from './screens/link.js'

const main = document.getElementById('main')
const nav = document.getElementById('nav')

const state = { me: null, cleanup: null, renderId: 0, navigated: false }

/** Everything a screen needs from the shell. */
const ctx = {
  get me () { return state.me },
  main,
  navigate: (hash) => { if (location.hash === hash) route(); else location.hash = hash },
  async refreshMe () { state.me = await api.me(); renderNav(); return state.me },
  /** Call after a 401: forget the user and show the login screen, returning here afterwards. */
  loggedOut () {
    state.me = null
    renderNav()
    sessionStorage.setItem('granary.after-login', location.hash)
    ctx.navigate('#/login')
  },
  /** Shows an API error: a 401 sends the user to log in; anything else is announced. */
  fail (err) {
    if (err?.status === 401) return ctx.loggedOut()
    announce(err?.message ?? String(err), 'error')
  },
}

function renderNav () {
  if (state.me === null) return replace(nav)
  const here = location.hash.split('/')[1] ?? 'grains'
  const link = (href, label, key) => h('a', { href, 'aria-current': here === key ? 'page' : false }, label)
  replace(nav,
    link('#/grains', 'Grains', 'grains'),
    state.me.role === 'admin' && link('#/admin', 'Admin', 'admin'),
    h('span', { class: 'whoami', title: state.me.username }, state.me.displayName),
    h('button', { type: 'button', class: 'link-button', id: 'logout', onclick: logout }, 'Log out'),
  )
}

async function logout () {
  try { await api.logout() } catch (err) { if (err.status !== 401) return ctx.fail(err) }
  state.me = null
  renderNav()
  announce('You are logged out.')
  ctx.navigate('#/login')
}

async function route () {
  const id = ++state.renderId
  if (typeof state.cleanup === 'function') state.cleanup()
  state.cleanup = null
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?')
  const [, screen = 'grains', ...rest] = path.split('/')
  const param = rest.map(decodeURIComponent).join('/')
  const params = new URLSearchParams(query)
  if (state.me === null && screen !== 'login' && screen !== 'link') {
    sessionStorage.setItem('granary.after-login', location.hash)
    location.replace('#/login')
    return
  }
  if (state.me !== null && screen === 'login') {
    location.replace('#/grains')
    // Linking another identity fails back to here while logged in: still say why.
    if (params.has('error')) announce(providerLoginMessage(params.get('error')), 'error')
    return
  }
  renderNav()
  document.body.dataset.screen = screen
  try {
    let cleanup
    if (screen === 'login') cleanup = await renderLogin(ctx, params)
    else if (screen === 'grain' && param) cleanup = await renderGrain(ctx, param)
    else if (screen === 'admin' && state.me.role === 'admin') cleanup = await renderAdmin(ctx, param || 'users')
    else if (screen === 'link' && param) cleanup = await renderLink(ctx, param)
    else if (screen === 'grains' || screen === '') cleanup = await renderGrains(ctx)
    else return location.replace('#/grains')
    if (id === state.renderId) state.cleanup = cleanup
    else if (typeof cleanup === 'function') cleanup()
    // After moving to another screen, start keyboard and screen-reader users at its content
    // (the login screen focuses its first field itself).
    if (state.navigated && screen !== 'login' && id === state.renderId && !document.querySelector('dialog[open]')) ctx.main.focus({ preventScroll: true })
    state.navigated = true
  } catch (err) {
    if (id !== state.renderId) return
    if (err?.status === 401) return ctx.loggedOut()
    replace(main, h('div', { class: 'card error-card', role: 'alert' },
      h('h1', null, 'Something went wrong'),
      h('p', null, err?.message ?? String(err)),
      h('p', null, h('a', { href: '#/grains' }, 'Back to your grains'))))
  }
}

/** After a login (password or OpenID Connect): go where the user was headed. */
ctx.afterLogin = async () => {
  await ctx.refreshMe()
  const target = sessionStorage.getItem('granary.after-login')
  sessionStorage.removeItem('granary.after-login')
  ctx.navigate(target && !target.startsWith('#/login') ? target : '#/grains')
}

// Sharing links are `/link#<secret>`: move the secret into the hash route on `/`.
if (location.pathname === '/link') {
  const secret = location.hash.replace(/^#/, '')
  history.replaceState(null, '', secret ? `/#/link/${encodeURIComponent(secret)}` : '/')
}
window.addEventListener('hashchange', route)
try {
  state.me = await api.me()
} catch (err) {
  state.me = null
  announce(err.message, 'error')
}
route()
