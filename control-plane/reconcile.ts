/**
 * What to do after a (re)start of the control plane, as a pure function of
 * what Docker holds and what Redis says. Rules:
 *
 * - a container whose grain has no record (deleted while we were down) is removed;
 * - a grain recorded as `starting` was being started when the previous control
 *   plane died: its containers may be half set up, so they are removed and the
 *   grain is marked stopped (its data is untouched; the next wake starts it anew);
 * - otherwise the newest running (or paused) container of a grain is adopted,
 *   a stopped one is kept for the next start, and any other container of that
 *   grain is removed;
 * - a grain Redis believes live but that has no container is marked stopped.
 */
import type { GrainRunState } from '../core/control-plane-protocol.js'

export interface FoundContainer {
  id: string
  grainId: string
  /** Docker's state: `running`, `paused`, `exited`, `created`, `dead`, ... */
  state: string
  /** Creation time, seconds since the epoch (newest wins). */
  created: number
}

export type ReconcileAction =
  | { kind: 'remove', grainId: string, containerId: string, why: string }
  | { kind: 'adopt', grainId: string, containerId: string, state: 'running' | 'paused' }
  | { kind: 'keep-stopped', grainId: string, containerId: string }
  | { kind: 'mark-stopped', grainId: string, why: string }

export function planReconcile (containers: FoundContainer[], grainExists: (grainId: string) => boolean, runStates: ReadonlyMap<string, GrainRunState>): ReconcileAction[] {
  const actions: ReconcileAction[] = []
  const byGrain = new Map<string, FoundContainer[]>()
  for (const c of containers) byGrain.set(c.grainId, [...(byGrain.get(c.grainId) ?? []), c])
  for (const [grainId, list] of byGrain) {
    if (!grainExists(grainId)) {
      for (const c of list) actions.push({ kind: 'remove', grainId, containerId: c.id, why: 'its grain was deleted' })
      continue
    }
    if (runStates.get(grainId) === 'starting') {
      for (const c of list) actions.push({ kind: 'remove', grainId, containerId: c.id, why: 'its start was interrupted' })
      actions.push({ kind: 'mark-stopped', grainId, why: 'start interrupted by a control plane restart' })
      continue
    }
    const rank = (c: FoundContainer): number => (c.state === 'running' || c.state === 'paused' ? 2 : 1)
    const [keep, ...rest] = [...list].sort((a, b) => rank(b) - rank(a) || b.created - a.created)
    if (keep === undefined) continue
    if (keep.state === 'running' || keep.state === 'paused') actions.push({ kind: 'adopt', grainId, containerId: keep.id, state: keep.state })
    else actions.push({ kind: 'keep-stopped', grainId, containerId: keep.id })
    for (const c of rest) actions.push({ kind: 'remove', grainId, containerId: c.id, why: 'a newer container of the grain exists' })
  }
  for (const [grainId, state] of runStates) {
    if (byGrain.has(grainId) || state === 'stopped' || state === 'failed') continue
    actions.push({ kind: 'mark-stopped', grainId, why: 'its container is gone' })
  }
  return actions
}
