/**
 * What an admin does to grains, in one place for the admin API
 * (`api/admin-grain-routes.ts`) and the command line
 * (`scripts/granary-grains.ts`): list every grain with its owner and run
 * state, and stop one (recorded in the audit log as `grain-stop`, with its
 * actor: the admin's user id, or `CLI_ACTOR` for the command line).
 *
 * Run states come from the control plane: `GET /grains/states` lists the
 * grains it has handled since it started, and any other grain is stopped.
 * A stopped grain opens again (and starts) on its next request, as after an
 * idle stop.
 */
import type { AuditLog } from '../../core/audit.js'
import type { GrainRunState, GrainState } from '../../core/control-plane-protocol.js'
import { ERR_UNAVAILABLE, GRAIN_ERR_NOT_FOUND } from '../../core/errors.js'
import type { GrainRecord, GrainRecordStore } from '../../core/grain-records.js'
import type { UserStore } from '../../core/users.js'
import { nameOf } from '../api/schemas.js'
import type { ControlPlaneClient } from '../control-plane-client.js'

/** Every run state; those with a container up come first (the ones an admin can stop). */
export const RUN_STATES = ['running', 'starting', 'paused', 'failed', 'stopped'] as const satisfies readonly GrainRunState[]
const LIVE: ReadonlySet<GrainRunState> = new Set(['running', 'starting', 'paused'])

export interface GrainAdminServices {
  grains: GrainRecordStore
  users: UserStore
  controlPlane: ControlPlaneClient
  audit: AuditLog
}

export interface AdminGrain {
  id: string
  title: string
  appId: string
  appVersion: string
  /** The owner's user id. */
  owner: string
  /** '' when the account is gone. */
  ownerUsername: string
  /** The owner's display name. */
  ownerName: string
  state: GrainRunState
  /** Why it failed or was stopped, when the control plane knows. */
  reason?: string
  createdAt: number
  /** ms since the epoch; the control plane's figure when it is newer than the record's. */
  lastUsedAt: number
}

async function runStates (controlPlane: ControlPlaneClient): Promise<Map<string, GrainState>> {
  const res = await controlPlane.call<GrainState[]>('GET', '/grains/states')
  if (res.status !== 200 || !Array.isArray(res.body)) throw new ERR_UNAVAILABLE(`the control plane did not say which grains run (${res.status})`)
  return new Map(res.body.map((s) => [s.grainId, s]))
}

/**
 * Every grain with its owner and run state: those with a container up
 * (running, starting, paused) first, then by last use, newest first. Throws
 * ERR_UNAVAILABLE when the control plane does not answer.
 */
export async function listGrainsWithState (s: Pick<GrainAdminServices, 'grains' | 'users' | 'controlPlane'>): Promise<AdminGrain[]> {
  const [records, states] = await Promise.all([s.grains.listAll(), runStates(s.controlPlane)])
  const owners = await s.users.getMany(records.map((g) => g.owner))
  const list = records.map((g): AdminGrain => {
    const run = states.get(g.id)
    const owner = owners.get(g.owner)
    return {
      id: g.id, title: g.title, appId: g.appId, appVersion: g.appVersion,
      owner: g.owner, ownerUsername: owner?.username ?? '', ownerName: nameOf(owner),
      state: run?.state ?? 'stopped',
      ...(run?.reason !== undefined ? { reason: run.reason } : {}),
      createdAt: g.createdAt,
      lastUsedAt: Math.max(g.lastUsedAt, run?.lastUsedAt ?? 0),
    }
  })
  list.sort((a, b) => Number(!LIVE.has(a.state)) - Number(!LIVE.has(b.state)) || b.lastUsedAt - a.lastUsedAt)
  return list
}

/**
 * Stops the grain's container (succeeds too if it was not running) and
 * records it; answers the grain. Throws GRAIN_ERR_NOT_FOUND for an unknown
 * grain, ERR_UNAVAILABLE when the control plane cannot stop it.
 */
export async function stopGrain (s: Pick<GrainAdminServices, 'grains' | 'controlPlane' | 'audit'>, actor: string, grainId: string): Promise<GrainRecord> {
  const grain = await s.grains.get(grainId)
  if (grain === undefined) throw new GRAIN_ERR_NOT_FOUND(grainId)
  const res = await s.controlPlane.call('POST', `/grains/${grain.id}/stop`)
  if (res.status === 404) throw new GRAIN_ERR_NOT_FOUND(grain.id)
  if (res.status !== 204) throw new ERR_UNAVAILABLE(`the control plane could not stop the grain (${res.status})`)
  await s.audit.record({ action: 'grain-stop', actor, grainId: grain.id })
  return grain
}
