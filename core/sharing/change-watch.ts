/**
 * What one process knows about changes to grains' share graphs, from the
 * grain-changes channel (see ./change-feed.ts): enough to tell, without asking
 * Redis, that a graph it loaded earlier is still the current one.
 *
 * Pure bookkeeping (a clock is passed in). The rules:
 * - Every change message bumps a sequence number and records it per grain.
 *   A load takes `mark()` (the sequence number) before it reads Redis; its
 *   result is fresh while no message for that grain arrived after the mark.
 *   (Every write publishes inside the script that makes it, so a write the
 *   load did not see is announced after the mark.)
 * - Messages may have been missed while the subscription was down: `lost()`
 *   makes every earlier mark stale.
 * - The subscription may be slow: nothing is fresh unless a heartbeat sent on
 *   the subscriber connection within the last `leaseMs` has come back, which
 *   proves every message published before that heartbeat was sent has been
 *   applied (Redis answers a connection in order). A writer that waits longer
 *   than the lease for a process's acknowledgement may therefore give up on
 *   it: that process no longer trusts anything it loaded before the write.
 * - At most `maxGrains` grains are tracked; forgetting one makes every mark
 *   older than its last change stale (safe, merely slower).
 */

/** How long a heartbeat vouches for the subscription. */
export const DEFAULT_LEASE_MS = 1_000
/** Grains whose last change is remembered. */
export const DEFAULT_WATCHED_GRAINS = 10_000

export class ChangeWatch {
  private seq = 0
  /** Marks below this are stale (messages missed, or a forgotten grain changed after them). */
  private floor = 0
  private readonly lastChange = new Map<string, number>()
  /** Send time of the newest heartbeat that came back; -Infinity: none since the subscription (re)started. */
  private confirmedAt = -Infinity
  /** Counts subscription restarts, so a heartbeat sent before one never vouches after it. */
  private epoch = 0

  constructor (
    private readonly now: () => number,
    private readonly leaseMs = DEFAULT_LEASE_MS,
    private readonly maxGrains = DEFAULT_WATCHED_GRAINS,
  ) {}

  /** The bookmark to take right before loading a grain's graph. */
  mark (): number { return this.seq }

  /** A change message for the grain arrived. */
  changed (grainId: string): void {
    this.seq += 1
    this.lastChange.delete(grainId)
    this.lastChange.set(grainId, this.seq)
    if (this.lastChange.size > this.maxGrains) {
      const [oldest, at] = this.lastChange.entries().next().value as [string, number]
      this.lastChange.delete(oldest)
      this.floor = Math.max(this.floor, at)
    }
  }

  /** The subscription dropped or restarted: messages may have been missed. Returns the new epoch. */
  lost (): number {
    this.seq += 1
    this.floor = this.seq
    this.confirmedAt = -Infinity
    this.epoch += 1
    return this.epoch
  }

  /** The epoch to pass to `heartbeat` with a heartbeat sent now. */
  currentEpoch (): number { return this.epoch }

  /** A heartbeat sent at `sentAt` (this clock) in `epoch` came back. */
  heartbeat (sentAt: number, epoch: number): void {
    if (epoch === this.epoch) this.confirmedAt = Math.max(this.confirmedAt, sentAt)
  }

  /** True when the subscription is vouched for and no change to the grain arrived after `mark`. */
  fresh (grainId: string, mark: number): boolean {
    if (this.now() - this.confirmedAt > this.leaseMs) return false
    if (mark < this.floor) return false
    return (this.lastChange.get(grainId) ?? 0) <= mark
  }
}
