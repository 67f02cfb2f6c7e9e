/**
 * Tells the control plane which grains were used, in batches (`POST /access`)
 * every few seconds, so idle grains can be stopped. The hot path only adds to
 * a set. A failed report is merged into the next one.
 */
import type { ControlPlaneClient } from '../control-plane-client.js'

export const DEFAULT_REPORT_INTERVAL_MS = 5_000

export interface AccessReporter {
  /** Notes that the grain was used now. O(1), no I/O. */
  touch(grainId: string): void
  /** Sends what is pending now. */
  flush(): Promise<void>
  /** Stops the timer after a last flush. */
  close(): Promise<void>
}

export function accessReporter (controlPlane: ControlPlaneClient, intervalMs = DEFAULT_REPORT_INTERVAL_MS, onError: (err: unknown) => void = () => {}): AccessReporter {
  let pending = new Set<string>()
  const flush = async (): Promise<void> => {
    if (pending.size === 0) return
    const batch = pending
    pending = new Set()
    try {
      const res = await controlPlane.call('POST', '/access', { grainIds: [...batch] }, 5_000)
      if (res.status >= 300) throw new Error(`control plane answered ${res.status} to an access report`)
    } catch (err) {
      for (const g of batch) pending.add(g)
      onError(err)
    }
  }
  const timer = setInterval(() => { void flush() }, intervalMs)
  timer.unref()
  return {
    touch: (grainId) => { pending.add(grainId) },
    flush,
    async close () {
      clearInterval(timer)
      await flush()
    },
  }
}
