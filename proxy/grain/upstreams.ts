/**
 * Where each running grain listens, kept in memory: the first request to a
 * grain asks the control plane to wake it (one call however many requests
 * wait), later ones use the cached address until a connection to it fails.
 */
import type { WakeAnswer } from '../../core/control-plane-protocol.js'
import { ERR_UNAVAILABLE, GRAIN_ERR_NOT_FOUND } from '../../core/errors.js'
import type { ControlPlaneClient } from '../control-plane-client.js'

export const DEFAULT_WAKE_TIMEOUT_MS = 40_000

export interface Upstreams {
  /** The cached address, if any: the hot path checks this first, with no promise. */
  cached(grainId: string): WakeAnswer | undefined
  /** The grain's address, waking it if needed. Rejects with GRAIN_ERR_NOT_FOUND, or ERR_UNAVAILABLE (with the reason) if it cannot start. */
  wake(grainId: string): Promise<WakeAnswer>
  /** Forgets the address (after a connection error, or when the grain is deleted). */
  forget(grainId: string): void
}

export function upstreams (controlPlane: ControlPlaneClient, timeoutMs = DEFAULT_WAKE_TIMEOUT_MS): Upstreams {
  const addresses = new Map<string, WakeAnswer>()
  const waking = new Map<string, Promise<WakeAnswer>>()
  return {
    cached: (grainId) => addresses.get(grainId),
    wake (grainId) {
      const known = addresses.get(grainId)
      if (known !== undefined) return Promise.resolve(known)
      let pending = waking.get(grainId)
      if (pending === undefined) {
        pending = controlPlane.call<WakeAnswer & { error?: { message?: string } }>('POST', `/grains/${grainId}/wake`, undefined, timeoutMs).then(({ status, body }) => {
          if (status === 404) throw new GRAIN_ERR_NOT_FOUND(grainId)
          if (status !== 200 || typeof body?.host !== 'string' || typeof body.port !== 'number') {
            throw new ERR_UNAVAILABLE(body?.error?.message ?? `the grain could not start (control plane answered ${status})`)
          }
          const address = { host: body.host, port: body.port }
          addresses.set(grainId, address)
          return address
        }).finally(() => waking.delete(grainId))
        waking.set(grainId, pending)
      }
      return pending
    },
    forget: (grainId) => { addresses.delete(grainId) },
  }
}
