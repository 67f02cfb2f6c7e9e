/**
 * The obviously-correct reference for the share graph: sets of strings,
 * iterate over every edge until nothing changes. Slow on purpose; the
 * property tests compare `core/sharing/graph.ts` against it.
 */
export interface ModelEdge { id: string, from: string, to: string, permissions: 'all' | readonly string[] }

export function modelEffective (owner: string, appPermissions: readonly string[], edges: readonly ModelEdge[]): Map<string, Set<string>> {
  const held = new Map<string, Set<string>>([[owner, new Set(appPermissions)]])
  const get = (p: string): Set<string> => held.get(p) ?? new Set()
  for (let changed = true; changed;) {
    changed = false
    for (const e of edges) {
      const carried = e.permissions === 'all' ? new Set(appPermissions) : new Set(e.permissions.filter((p) => appPermissions.includes(p)))
      const target = new Set(get(e.to))
      for (const p of get(e.from)) {
        if (carried.has(p) && !target.has(p)) { target.add(p); changed = true }
      }
      held.set(e.to, target)
    }
  }
  return held
}

/** A principal's permissions from the model, in manifest order. */
export function modelList (held: Map<string, Set<string>>, appPermissions: readonly string[], principal: string): string[] {
  const set = held.get(principal) ?? new Set<string>()
  return appPermissions.filter((p) => set.has(p))
}
