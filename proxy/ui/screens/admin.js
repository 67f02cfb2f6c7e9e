// Admin: users (create, disable, reset password), apps (list, upload a new
// app or version, remove), running grains (stop), and the audit stream.
// Shown only to admins; the API checks again on every call.
import { api } from '../api.js'
import { openDialog } from '../dialog.js'
import { announce, appIcon, busy, field, h, replace } from '../h.js'
import { dataTable } from '../table.js'
import { auditPanel } from './admin-audit.js'
import { grainsPanel } from './admin-grains.js'

const TABS = [['users', 'Users'], ['apps', 'Apps'], ['grains', 'Running grains'], ['audit', 'Audit']]

export async function renderAdmin (ctx, tab) {
  if (!TABS.some(([id]) => id === tab)) tab = 'users'
  const panel = h('div', { class: 'admin-panel', id: `panel-${tab}`, role: 'tabpanel', 'aria-labelledby': `tab-${tab}` })
  replace(ctx.main, h('div', { class: 'page' },
    h('div', { class: 'page-head' }, h('h1', null, 'Administration')),
    h('nav', { class: 'tabs', 'aria-label': 'Administration sections' }, TABS.map(([id, label]) =>
      h('a', { href: `#/admin/${id}`, id: `tab-${id}`, 'aria-current': id === tab ? 'page' : false }, label))),
    panel))
  const render = { users: usersPanel, apps: appsPanel, grains: grainsPanel, audit: auditPanel }[tab]
  return render(ctx, panel)
}

async function usersPanel (ctx, panel) {
  const users = await api.admin.users()
  const refresh = () => usersPanel(ctx, panel).catch(ctx.fail)
  const username = h('input', { id: 'new-username', required: true, autocapitalize: 'none', spellcheck: 'false', autocomplete: 'off' })
  const displayName = h('input', { id: 'new-display-name', autocomplete: 'off' })
  const password = h('input', { id: 'new-password', type: 'password', minlength: 8, autocomplete: 'new-password' })
  const role = h('select', { id: 'new-role' }, ['user', 'packager', 'admin'].map((r) => h('option', { value: r }, r)))
  const create = h('button', { type: 'submit', class: 'primary' }, 'Create user')
  const form = h('form', {
    class: 'inline-form card',
    onsubmit: (e) => {
      e.preventDefault()
      busy(create, async () => {
        try {
          await api.admin.createUser({ username: username.value.trim(), displayName: displayName.value.trim() || undefined, password: password.value || undefined, role: role.value })
          announce(`Created ${username.value.trim()}.`)
          await refresh()
        } catch (err) { ctx.fail(err) }
      })
    },
  }, h('h2', null, 'New user'), field('Username', username), field('Display name', displayName), field('Password', password, 'at least 8 characters'), field('Role', role), h('div', { class: 'actions' }, create))

  const resetPassword = (user) => openDialog({
    title: `Reset password for ${user.username}`,
    content: (close) => {
      const pw = h('input', { id: 'reset-password', type: 'password', required: true, minlength: 8, autocomplete: 'new-password' })
      const save = h('button', { type: 'submit', class: 'primary' }, 'Set password')
      setTimeout(() => pw.focus())
      return h('form', {
        class: 'stack',
        onsubmit: (e) => {
          e.preventDefault()
          busy(save, async () => {
            try { await api.admin.resetPassword(user.id, pw.value); close(); announce(`Password of ${user.username} changed.`) } catch (err) { ctx.fail(err) }
          })
        },
      }, field('New password', pw, 'at least 8 characters'), h('div', { class: 'actions' }, h('button', { type: 'button', onclick: close }, 'Cancel'), save))
    },
  })

  const table = dataTable({ id: 'admin-users', caption: 'Users', columns: ['Username', 'Name', 'Role', 'Status', { label: 'Actions', hidden: true }] })
  table.setRows(users.map((u) => h('tr', { dataset: { username: u.username, userId: u.id } },
    h('td', null, u.username), h('td', null, u.displayName), h('td', null, u.role),
    h('td', null, h('span', { class: `badge ${u.disabled ? 'off' : 'on'}` }, u.disabled ? 'disabled' : 'active')),
    h('td', null, h('div', { class: 'row-actions' },
      u.id !== ctx.me.id && h('button', {
        type: 'button',
        class: 'small',
        onclick: (e) => busy(e.currentTarget, async () => {
          try { await api.admin.setDisabled(u.id, !u.disabled); announce(`${u.username} ${u.disabled ? 'enabled' : 'disabled'}.`) } catch (err) { ctx.fail(err) }
          await refresh()
        }),
      }, u.disabled ? 'Enable' : 'Disable'),
      h('button', { type: 'button', class: 'small', onclick: () => resetPassword(u) }, 'Reset password'))))))
  replace(panel, form, table.element)
}

async function appsPanel (ctx, panel) {
  const apps = await api.apps()
  const refresh = () => appsPanel(ctx, panel).catch(ctx.fail)
  const manifest = h('input', { id: 'app-manifest', type: 'file', name: 'manifest', accept: '.json,.yaml,.yml,application/json', required: true })
  const image = h('input', { id: 'app-image', type: 'file', name: 'image', accept: '.tar,application/x-tar', required: true })
  const upload = h('button', { type: 'submit', class: 'primary' }, 'Upload')
  const form = h('form', {
    class: 'inline-form wide-fields card',
    onsubmit: (e) => {
      e.preventDefault()
      busy(upload, async () => {
        try {
          const app = await api.admin.uploadApp(await manifest.files[0].text(), image.files[0])
          announce(`Installed ${app?.name ?? app?.manifest?.name ?? 'the app'}${app?.version ? ` ${app.version}` : ''}.`)
          await refresh()
        } catch (err) { ctx.fail(err) }
      })
    },
  }, h('h2', null, 'Upload an app or a new version'), field('Manifest', manifest, 'JSON or YAML'), field('Image', image, 'a tar archive made by docker save'), h('div', { class: 'actions' }, upload))

  replace(panel, form, apps.length === 0
    ? h('p', { class: 'empty' }, 'No apps installed.')
    : h('ul', { class: 'plain rows card', id: 'app-list' }, apps.map((a) => h('li', { class: 'row', dataset: { app: a.id } },
      appIcon(a, 'sm'),
      h('span', { class: 'who' }, a.name, h('small', null, ` ${a.id} · v${a.version}`)),
      h('span', { class: 'perms' }, a.roles.map((r) => r.title).join(', ')),
      h('button', {
        type: 'button',
        class: 'danger small',
        onclick: (e) => {
          if (!window.confirm(`Remove ${a.name}? Existing grains of it will no longer start.`)) return
          busy(e.currentTarget, async () => {
            try {
              await api.admin.removeApp(a.id)
              announce(`Removed ${a.name}.`)
            } catch (err) {
              if (err.status === 409 && window.confirm(`${err.message}\n\nRemove ${a.name} anyway?`)) {
                try { await api.admin.removeApp(a.id, true); announce(`Removed ${a.name}.`) } catch (again) { ctx.fail(again) }
              } else ctx.fail(err)
            }
            await refresh()
          })
        },
      }, 'Remove')))))
}
