// Admin, "Running grains": every grain on the server with its run state, app,
// owner and last use (those with a container up come first, as the API sorts
// them), and a Stop button for each one that runs, starts or is paused.
import { api } from '../api.js'
import { ago, announce, appIcon, busy, h, replace } from '../h.js'
import { dataTable } from '../table.js'

/** States with a container up: the grains an admin can stop. */
const LIVE = new Set(['running', 'starting', 'paused'])
const BADGE = { running: 'on', starting: 'busy', paused: 'busy', failed: 'bad', stopped: 'off' }

export async function grainsPanel (ctx, panel) {
  const [grains, apps] = await Promise.all([api.admin.grains(), api.apps()])
  const appsById = new Map(apps.map((a) => [a.id, a]))
  const live = grains.filter((g) => LIVE.has(g.state)).length
  // Re-renders, then puts the keyboard back where it was (`focus`: a selector in the new panel).
  const refresh = async (focus) => {
    await grainsPanel(ctx, panel)
    panel.querySelector(focus)?.focus()
  }

  const stop = (g) => h('button', {
    type: 'button',
    class: 'small',
    'aria-label': `Stop ${g.title}`,
    onclick: (e) => busy(e.currentTarget, async () => {
      try {
        await api.admin.stopGrain(g.id)
        announce(`Stopped “${g.title}”.`)
      } catch (err) { ctx.fail(err) }
      // The row keeps the keyboard's place: its Stop button is gone once it stopped.
      await refresh(`tr[data-grain-id="${g.id}"]`).catch(ctx.fail)
    }),
  }, 'Stop')

  const row = (g) => {
    const app = appsById.get(g.appId)
    return h('tr', { dataset: { grainId: g.id, state: g.state }, tabindex: -1 },
      h('th', { scope: 'row', class: 'title-cell' }, g.title),
      h('td', null, h('span', { class: `badge ${BADGE[g.state] ?? 'off'}`, title: g.reason ?? '' }, g.state)),
      h('td', null, h('span', { class: 'app-cell' }, appIcon(app ?? { name: g.appId }, 'sm'), app?.name ?? g.appId, h('small', null, ` v${g.appVersion}`))),
      h('td', null, g.ownerName, g.ownerUsername && h('small', { class: 'block' }, g.ownerUsername)),
      h('td', null, h('time', { datetime: new Date(g.lastUsedAt).toISOString(), title: new Date(g.lastUsedAt).toLocaleString() }, ago(g.lastUsedAt))),
      h('td', null, LIVE.has(g.state) && stop(g)))
  }

  const table = dataTable({ id: 'admin-grains', caption: 'Grains, those running first', columns: ['Title', 'State', 'App', 'Owner', 'Last used', { label: 'Actions', hidden: true }] })
  table.setRows(grains.map(row))
  replace(panel,
    h('div', { class: 'panel-head' },
      h('p', { class: 'summary' }, `${live} of ${grains.length} ${grains.length === 1 ? 'grain' : 'grains'} running, starting or paused.`),
      h('button', { type: 'button', id: 'grains-refresh', onclick: (e) => busy(e.currentTarget, () => refresh('#grains-refresh').catch(ctx.fail)) }, 'Refresh')),
    grains.length === 0 ? h('p', { class: 'empty card' }, 'No grains yet.') : table.element)
}
