/* global history, sessionStorage */
// Login: username and password, plus one button per configured OpenID Connect
// provider. Wrong credentials and a locked-out account get distinct messages,
// and so does each way a login at a provider can fail.
import { api } from '../api.js'
import { busy, field, h, replace } from '../h.js'

/**
 * What to tell someone whose provider login failed, by the error code the
 * server sent them back with (`#/login?error=<code>`). Only codes are taken
 * from the URL, never text: anyone can make a link to this page.
 */
const PROVIDER_LOGIN_MESSAGES = {
  OIDC_ERR_DENIED: 'You did not allow the login at the provider. Try again, or log in with your password.',
  OIDC_ERR_EXPIRED: 'That login took too long or was already used. Please start again.',
  OIDC_ERR_FAILED: 'The provider\'s answer could not be verified, so you were not logged in. Please try again.',
  OIDC_ERR_UNKNOWN_PROVIDER: 'This server has no such login provider.',
  OIDC_ERR_ALREADY_LINKED: 'That identity already belongs to another Granary account.',
  AUTH_ERR_DISABLED: 'This account is disabled. Ask an administrator.',
  ERR_UNAVAILABLE: 'The login provider cannot be reached right now. Try again in a moment.',
}

export function providerLoginMessage (code) {
  return Object.hasOwn(PROVIDER_LOGIN_MESSAGES, code) ? PROVIDER_LOGIN_MESSAGES[code] : 'Logging in with the provider did not work. Please try again.'
}

/** The message shown for a failed login, by status. */
export function loginErrorMessage (err) {
  if (err.status === 401 || err.status === 400) return 'Wrong username or password.'
  if (err.status === 429) {
    const minutes = /in (\d+) minutes?/.exec(err.message ?? '')?.[1]
    return `Too many failed logins: this account is locked for now. Try again in ${minutes === undefined ? 'a few minutes' : minutes === '1' ? '1 minute' : `${minutes} minutes`}.`
  }
  if (err.status === 403) return err.message || 'This account is disabled. Ask an administrator.'
  return err.message
}

export async function renderLogin (ctx, params = new Map()) {
  const providers = await api.providers()
  // After the provider, come back to where the user was headed (a path on this origin; the proxy checks it).
  const target = sessionStorage.getItem('granary.after-login')
  const next = `/${target && target.startsWith('#/') && !target.startsWith('#/login') ? target : ''}`
  const providerHref = (p) => `${p.url}${p.url.includes('?') ? '&' : '?'}next=${encodeURIComponent(next)}`
  const message = h('p', { class: 'form-error', id: 'login-error', role: 'alert', hidden: true })
  const username = h('input', { name: 'username', id: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' })
  const password = h('input', { name: 'password', id: 'password', type: 'password', autocomplete: 'current-password', required: true })
  const submit = h('button', { type: 'submit', class: 'primary wide' }, 'Log in')

  const showError = (text, { fields = true } = {}) => {
    message.textContent = text
    message.hidden = false
    if (!fields) return
    username.setAttribute('aria-invalid', 'true')
    password.setAttribute('aria-invalid', 'true')
  }

  const form = h('form', {
    class: 'stack',
    'aria-describedby': 'login-error',
    onsubmit: (e) => {
      e.preventDefault()
      busy(submit, async () => {
        message.hidden = true
        try {
          await api.login(username.value.trim(), password.value)
          await ctx.afterLogin()
        } catch (err) {
          showError(loginErrorMessage(err))
          password.value = ''
          password.focus()
        }
      })
    },
  },
  field('Username', username),
  field('Password', password),
  message,
  submit)

  // A failed provider login comes back here with `?error=<code>`: say why once
  // (not again on reload), and leave the password fields unmarked: they were not used.
  const failed = params.get('error')
  if (failed) {
    showError(providerLoginMessage(failed), { fields: false })
    history.replaceState(null, '', '#/login')
  }

  replace(ctx.main, h('section', { class: 'login card', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Log in to Granary'),
    form,
    providers.length > 0 && h('div', { class: 'providers' },
      h('p', { class: 'divider' }, h('span', null, 'or')),
      h('ul', { class: 'stack plain' }, providers.map((p) =>
        h('li', null, h('a', { class: 'button wide', href: providerHref(p), dataset: { provider: p.id } }, `Log in with ${p.name}`))))),
  ))
  username.focus()
}
