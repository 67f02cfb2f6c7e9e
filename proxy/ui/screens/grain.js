// Opening a grain: a title bar (title, app, share, who has access) over the
// grain itself, in an iframe on the grain's own origin. The iframe's URL is a
// one-time session URL from the API; a "starting…" state covers the time the
// grain takes to wake (the proxy holds the request until it answers).
import { api } from '../api.js'
import { openDialog } from '../dialog.js'
import { announce, appIcon, busy, h, replace } from '../h.js'
import { openAccessDialog } from './access-dialog.js'
import { openShareDialog } from './share-dialog.js'

function confirmDelete (ctx, grain) {
  openDialog({
    title: `Delete “${grain.title}”?`,
    content: (close) => {
      const del = h('button', {
        type: 'button',
        class: 'primary danger-fill',
        onclick: () => busy(del, async () => {
          try {
            await api.deleteGrain(grain.id)
            close()
            announce(`Deleted “${grain.title}”.`)
            ctx.navigate('#/grains')
          } catch (err) { ctx.fail(err) }
        }),
      }, 'Delete for everyone')
      setTimeout(() => del.focus())
      return h('div', { class: 'stack' },
        h('p', null, 'Its data and every share of it go too. Nobody, including people it was shared with, can open it again.'),
        h('div', { class: 'actions' }, h('button', { type: 'button', onclick: close }, 'Cancel'), del))
    },
  })
}

export async function renderGrain (ctx, grainId) {
  const [grains, apps] = await Promise.all([api.grains(ctx.me), api.apps()])
  const grain = grains.find((g) => g.id === grainId)
  if (!grain) {
    replace(ctx.main, h('div', { class: 'card error-card', role: 'alert' },
      h('h1', null, 'Grain not found'),
      h('p', null, 'It may have been deleted, or it is no longer shared with you.'),
      h('p', null, h('a', { href: '#/grains' }, 'Back to your grains'))))
    return
  }
  const app = apps.find((a) => a.id === grain.appId) ?? { id: grain.appId, name: grain.appId, roles: [], permissions: [] }
  document.title = `${grain.title} · Granary`

  const stage = h('div', { class: 'grain-stage' })
  const starting = h('div', { class: 'starting', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), `Starting ${grain.title}…`)
  replace(stage, starting)

  replace(ctx.main, h('div', { class: 'grain-view' },
    h('div', { class: 'grain-bar' },
      h('a', { href: '#/grains', class: 'back', 'aria-label': 'Back to grains' }, '←'),
      appIcon(app, 'sm'),
      h('div', { class: 'grain-bar-title' },
        h('h1', { id: 'grain-title' }, grain.title),
        h('span', { class: 'grain-meta' }, app.name, grain.mine ? '' : grain.sharedBy ? ` · shared by ${grain.sharedBy}` : '')),
      h('div', { class: 'grain-bar-actions' },
        h('button', { type: 'button', id: 'share-button', onclick: () => openShareDialog(ctx, grain, app) }, 'Share'),
        h('button', { type: 'button', id: 'access-button', onclick: () => openAccessDialog(ctx, grain, app) },
          // On a phone the button reads "Access"; its accessible name stays "Who has access".
          h('span', { class: 'long-label' }, 'Who has access'), h('span', { class: 'short-label', 'aria-hidden': 'true' }, 'Access')),
        // A download of the grain's data and metadata, to import elsewhere (owners only).
        grain.mine && h('a', { class: 'button', id: 'export-button', href: `/api/grains/${encodeURIComponent(grain.id)}/export`, download: '' }, 'Export'),
        (grain.mine || ctx.me.role === 'admin') && h('button', { type: 'button', class: 'danger', id: 'delete-button', onclick: () => confirmDelete(ctx, grain) }, 'Delete'))),
    stage))

  let session
  try {
    session = await api.openSession(grain.id)
  } catch (err) {
    if (err.status === 401) return ctx.loggedOut()
    replace(stage, h('div', { class: 'card error-card', role: 'alert' }, h('h2', null, 'This grain could not start'), h('p', null, err.message)))
    return
  }
  const url = session?.url ?? session?.sessionUrl
  const frame = h('iframe', {
    class: 'grain-frame',
    id: 'grain-frame',
    title: `${grain.title} (${app.name})`,
    src: url,
    allow: 'clipboard-read; clipboard-write; fullscreen',
    referrerpolicy: 'same-origin',
  })
  frame.classList.add('loading')
  frame.addEventListener('load', () => {
    starting.remove()
    frame.classList.remove('loading')
  }, { once: true })
  stage.append(frame)
  return () => { document.title = 'Granary' }
}
