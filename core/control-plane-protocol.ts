/**
 * What the proxy and the control plane agree on: the header carrying the
 * shared secret, and the internal API's routes and answers. The control plane
 * implements these; the proxy's `control-plane-client.ts` calls them.
 *
 * | route | body | answer |
 * | --- | --- | --- |
 * | `GET /healthz` | | `ControlPlaneHealth` |
 * | `POST /grains` | `CreateGrainRequest` | 201 `GrainRecord` |
 * | `DELETE /grains/:id` | | 204; container, data and shares removed |
 * | `POST /grains/:id/wake` | | 200 `WakeAnswer` once the grain accepts HTTP; 503 with the reason (and log tail) if it cannot start |
 * | `POST /grains/:id/stop` | | 204 |
 * | `GET /grains/:id/state` | | `GrainState` |
 * | `GET /grains/states` | | `GrainState[]` |
 * | `POST /access` | `AccessReport` | 204; marks grains as used now (idle shutdown) |
 * | `GET /metrics` | | Prometheus text |
 */
export const CONTROL_SECRET_HEADER = 'x-granary-control-secret'

export interface ControlPlaneHealth { ok: boolean, redis: boolean, docker: boolean }

export interface CreateGrainRequest { appId: string, title: string, owner: string }

/** Where the proxy reaches a running grain, from the host side. */
export interface WakeAnswer { host: string, port: number }

export type GrainRunState = 'running' | 'paused' | 'stopped' | 'starting' | 'failed'

export interface GrainState {
  grainId: string
  state: GrainRunState
  /** Why it failed, when `state` is `failed`. */
  reason?: string
  lastUsedAt?: number
}

/** Grains the proxy saw traffic for (or holds open WebSockets to) since its last report. */
export interface AccessReport { grainIds: string[] }
