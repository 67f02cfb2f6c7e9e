// The grain list: the user's own grains and those shared with them, with a
// client-side title filter, and "new grain" buttons for every app action.
import { api } from '../api.js'
import { openDialog } from '../dialog.js'
import { ago, announce, appIcon, busy, field, h, replace } from '../h.js'

export async function renderGrains (ctx) {
  const [apps, grains] = await Promise.all([api.apps(), api.grains(ctx.me)])
  const appsById = new Map(apps.map((a) => [a.id, a]))
  const search = h('input', { type: 'search', id: 'grain-search', placeholder: 'Search by title', autocomplete: 'off' })
  const results = h('div', { class: 'grain-sections' })

  const row = (g) => {
    const app = appsById.get(g.appId)
    const who = g.mine ? 'You' : g.sharedBy ? `Shared by ${g.sharedBy}` : g.ownerName ? `Owned by ${g.ownerName}` : 'Shared with you'
    return h('li', { class: 'grain-row', dataset: { grainId: g.id } },
      appIcon(app ?? { name: g.appId }),
      h('div', { class: 'grain-main' },
        h('a', { href: `#/grain/${encodeURIComponent(g.id)}`, class: 'grain-title' }, g.title),
        h('span', { class: 'grain-meta' }, app?.name ?? g.appId, ' · ', who)),
      h('span', { class: 'grain-used', title: g.lastUsedAt ? new Date(g.lastUsedAt).toLocaleString() : '' }, ago(g.lastUsedAt)))
  }

  const section = (id, title, items, empty) => h('section', { 'aria-labelledby': id },
    h('h2', { id }, title, h('span', { class: 'count' }, ` (${items.length})`)),
    items.length > 0 ? h('ul', { class: 'grain-list plain' }, items.map(row)) : h('p', { class: 'empty' }, empty))

  const show = () => {
    const q = search.value.trim().toLowerCase()
    const match = (g) => q === '' || g.title.toLowerCase().includes(q)
    const byUse = (a, b) => (b.lastUsedAt ?? 0) - (a.lastUsedAt ?? 0)
    const mine = grains.filter((g) => g.mine && match(g)).sort(byUse)
    const shared = grains.filter((g) => !g.mine && match(g)).sort(byUse)
    const none = q === '' ? 'Nothing yet.' : `No title matches “${search.value.trim()}”.`
    replace(results,
      section('mine-title', 'My grains', mine, q === '' ? 'You have no grains yet. Create one from an app above.' : none),
      section('shared-title', 'Shared with me', shared, q === '' ? 'Nobody has shared a grain with you yet.' : none))
  }
  search.addEventListener('input', show)

  const newGrain = (app, action) => openDialog({
    title: `${action.title} (${app.name})`,
    content: (close) => {
      const title = h('input', { id: 'new-grain-title', name: 'title', required: true, maxlength: 200, value: `Untitled ${action.title.replace(/^new\s+/i, '')}` })
      const create = h('button', { type: 'submit', class: 'primary' }, 'Create')
      const form = h('form', {
        class: 'stack',
        onsubmit: (e) => {
          e.preventDefault()
          busy(create, async () => {
            try {
              const grain = await api.createGrain(app.id, title.value.trim(), ctx.me)
              close()
              announce(`Created “${grain.title}”.`)
              ctx.navigate(`#/grain/${encodeURIComponent(grain.id)}`)
            } catch (err) { ctx.fail(err) }
          })
        },
      }, field('Title', title), h('div', { class: 'actions' }, h('button', { type: 'button', onclick: close }, 'Cancel'), create))
      setTimeout(() => title.select())
      return form
    },
  })

  // Restoring an exported grain: the file goes up as it is; the server checks every entry.
  const archive = h('input', {
    type: 'file',
    id: 'import-grain',
    accept: '.tar,application/x-tar',
    class: 'visually-hidden',
    onchange: async () => {
      const file = archive.files?.[0]
      if (file === undefined) return
      try {
        const grain = await api.importGrain(file, ctx.me)
        announce(`Imported “${grain.title}”.`)
        ctx.navigate(`#/grain/${encodeURIComponent(grain.id)}`)
      } catch (err) { ctx.fail(err) } finally { archive.value = '' }
    },
  })
  const importButton = h('label', { for: 'import-grain', class: 'button', tabindex: 0, role: 'button', onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); archive.click() } } }, 'Import a grain…')

  replace(ctx.main,
    h('div', { class: 'page' },
      h('div', { class: 'page-head' },
        h('h1', null, 'Grains'),
        h('div', { class: 'search' }, h('label', { for: 'grain-search', class: 'visually-hidden' }, 'Search grains by title'), search)),
      h('section', { class: 'new-grain card', 'aria-labelledby': 'new-title' },
        h('h2', { id: 'new-title' }, 'Create a grain'),
        apps.length === 0
          ? h('p', { class: 'empty' }, 'No apps are installed yet.', ctx.me.role === 'admin' ? [' ', h('a', { href: '#/admin/apps' }, 'Upload one')] : ' Ask an administrator to add one.')
          : h('ul', { class: 'app-actions plain' }, apps.flatMap((app) => app.actions.map((action) =>
            h('li', null, h('button', { type: 'button', class: 'app-action', dataset: { app: app.id, action: action.id }, onclick: () => newGrain(app, action) },
              appIcon(app, 'sm'), h('span', null, action.title, h('small', null, app.name))))))),
        h('p', { class: 'import-grain' }, archive, importButton, h('small', null, ' from a file exported from a grain\'s Export button'))),
      results))
  show()
}
