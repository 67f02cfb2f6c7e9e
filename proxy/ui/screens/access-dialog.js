// Who has access: every principal with their effective permissions and the
// paths they came through ("via Bob"), then every share edge with a revoke
// button where the viewer may revoke it. Re-fetched after each revoke, so a
// cascade (revoking Carol empties Dave's share from Carol) shows at once.
import { api } from '../api.js'
import { openDialog } from '../dialog.js'
import { announce, busy, h, replace } from '../h.js'
import { roleLabel } from './share-dialog.js'

function permissionTitles (app, permissions) {
  if (permissions.length === 0) return 'no access'
  return permissions.map((p) => app.permissions.find((q) => q.id === p)?.title ?? p).join(', ')
}

/** Names of those a principal's access comes through: the senders of edges that reach them carrying something. */
export function viaNames (access, principal) {
  if (principal.via) return principal.via
  const incoming = access.edges.filter((e) => e.to.id === principal.id)
  const live = incoming.filter((e) => e.effective === undefined || e.effective.length > 0)
  return [...new Set(live.map((e) => e.from.name))]
}

export function openAccessDialog (ctx, grain, app) {
  const body = h('div', { class: 'stack access', 'aria-live': 'polite' }, h('p', { role: 'status' }, 'Loading…'))

  const refresh = async () => {
    let access
    try { access = await api.access(grain.id, ctx.me) } catch (err) { return ctx.fail(err) }
    const people = access.principals
    // Link edges are listed under "Sharing links"; API tokens are not shares.
    const edges = access.edges.filter((e) => e.kind !== 'token' && e.kind !== 'link')
    replace(body,
      h('section', { 'aria-labelledby': 'access-people' },
        h('h3', { id: 'access-people' }, 'People'),
        h('ul', { class: 'plain rows', id: 'access-principals' }, people.map((p) => {
          const via = viaNames(access, p)
          return h('li', { class: 'row', dataset: { principal: p.name, principalId: p.id ?? '' } },
            h('span', { class: 'who' }, p.name, p.id === ctx.me.id ? h('small', null, ' (you)') : ''),
            h('span', { class: `perms${p.permissions.length === 0 ? ' none' : ''}` }, p.owner ? 'owner: everything' : permissionTitles(app, p.permissions)),
            !p.owner && via.length > 0 && h('small', { class: 'via' }, `via ${via.join(', ')}`))
        }))),
      h('section', { 'aria-labelledby': 'access-shares' },
        h('h3', { id: 'access-shares' }, 'Shares'),
        edges.length === 0
          ? h('p', { class: 'empty' }, 'Not shared with anyone.')
          : h('ul', { class: 'plain rows', id: 'access-edges' }, edges.map((e) => {
            const what = e.everything ? 'everything they hold' : roleLabel(app, e.role, e.permissions)
            const carries = e.effective === undefined ? '' : e.effective.length === 0 ? 'carries nothing now' : `carries ${permissionTitles(app, e.effective)}`
            const label = `${e.from.name} → ${e.to.name}`
            return h('li', { class: 'row', dataset: { edge: label, shareId: e.id, fromId: e.from.id ?? '', toId: e.to.id ?? '' } },
              h('span', { class: 'who' }, label),
              h('span', { class: 'perms' }, what, carries && h('small', { class: e.effective?.length === 0 ? 'none' : '' }, ` (${carries})`)),
              e.canRevoke && h('button', {
                type: 'button',
                class: 'danger small',
                'aria-label': `Revoke share ${e.from.name} to ${e.to.name}`,
                onclick: (ev) => busy(ev.currentTarget, async () => {
                  try {
                    await api.revokeShare(grain.id, e.id)
                    announce(`Revoked the share from ${e.from.name} to ${e.to.name}.`)
                  } catch (err) { ctx.fail(err) }
                  await refresh()
                }),
              }, 'Revoke'))
          }))),
      access.links.length > 0 && h('section', { 'aria-labelledby': 'access-links' },
        h('h3', { id: 'access-links' }, 'Sharing links'),
        h('ul', { class: 'plain rows' }, access.links.map((l) => h('li', { class: 'row' },
          h('span', { class: 'who' }, `Link (${roleLabel(app, l.role, l.permissions)})`, l.createdBy ? h('small', null, ` by ${l.createdBy}`) : ''),
          l.canRevoke && h('button', {
            type: 'button',
            class: 'danger small',
            onclick: (ev) => busy(ev.currentTarget, async () => {
              try { await api.revokeLink(grain.id, l.id); announce('Link revoked.') } catch (err) { ctx.fail(err) }
              await refresh()
            }),
          }, 'Revoke'))))),
    )
  }

  openDialog({ title: `Who has access to “${grain.title}”`, content: body, wide: true })
  refresh()
}
