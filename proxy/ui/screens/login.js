/* global URLSearchParams, location, sessionStorage */
// Login: username and password, plus one button per configured OpenID Connect
// provider. Wrong credentials and a locked-out account get distinct messages.
import { api } from '../api.js'
import { busy, field, h, replace } from '../h.js'

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

export async function renderLogin (ctx) {
  const providers = await api.providers()
  // After the provider, come back to where the user was headed (a path on this origin; the proxy checks it).
  const target = sessionStorage.getItem('granary.after-login')
  const next = `/${target && target.startsWith('#/') && !target.startsWith('#/login') ? target : ''}`
  const providerHref = (p) => `${p.url}${p.url.includes('?') ? '&' : '?'}next=${encodeURIComponent(next)}`
  const message = h('p', { class: 'form-error', id: 'login-error', role: 'alert', hidden: true })
  const username = h('input', { name: 'username', id: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' })
  const password = h('input', { name: 'password', id: 'password', type: 'password', autocomplete: 'current-password', required: true })
  const submit = h('button', { type: 'submit', class: 'primary wide' }, 'Log in')

  const showError = (text) => {
    message.textContent = text
    message.hidden = false
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

  // The OpenID callback sends the user back here with `?error=` when it fails.
  const params = new URLSearchParams(location.search)
  if (params.get('error')) showError(params.get('error'))

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
