/**
 * Grain containers' lifecycle: wake on demand, pause and stop when idle,
 * follow crashes, adopt what survives a control plane restart, delete.
 *
 * Guarantees:
 * - `wake` of a grain that is running (and was seen accepting connections)
 *   answers from memory, without calling Docker; the Docker event stream keeps
 *   that memory true (a container that dies is marked stopped at once).
 * - Any number of concurrent `wake`s of one grain share one start: exactly one
 *   container, one answer (or one failure) for all. Every operation on a grain
 *   (start, pause, stop, delete) runs in that grain's own queue, never two at once.
 * - Every transition is written to Redis (`run-state.ts`) before Docker is
 *   asked, so a successor finds interrupted starts (`reconcile()`).
 * - A grain's data survives stops, crashes, restarts and upgrades; only
 *   `remove` deletes it.
 */
import type Docker from 'dockerode'
import { pino, type Logger } from 'pino'
import type { GrainRunState, GrainState, WakeAnswer } from '../core/control-plane-protocol.js'
import { GRAIN_ERR_APP_MISSING, GRAIN_ERR_NOT_FOUND, GRAIN_ERR_START_FAILED } from '../core/errors.js'
import type { GrainRecordStore } from '../core/grain-records.js'
import { isId } from '../core/ids.js'
import type { AppCatalog, CatalogEntry } from './app-catalog.js'
import { containerLogTail } from './container-logs.js'
import { IMAGE_LABEL, containerSpec, type GrainCaps } from './container-spec.js'
import { followContainerEvents, type ContainerEvent, type EventFollower } from './docker-events.js'
import { LABELS } from './docker.js'
import { ensureGrainDataDir, removeGrainDataDir } from './grain-data.js'
import { ensureGrainNetwork } from './grain-network.js'
import { blockGrainsFromHost } from './host-firewall.js'
import { grainMetrics, type GrainMetrics } from './metrics.js'
import { planReconcile, type FoundContainer } from './reconcile.js'
import type { RunStateStore } from './run-state.js'
import { waitForListening } from './wait-for-http.js'

const STOP_GRACE_S = 5
const LOG_TAIL_LINES = 20
const BOOT_RETRY_MS = 5000

export interface LifecycleSettings {
  /** Granary's data directory: grain data lives in `<dataDir>/grains/<id>`. */
  dataDir: string
  network: string
  startTimeoutMs: number
  /** Idle time before pausing; 0: never pause. */
  pauseAfterMs: number
  /** Cap on idle time before stopping (a manifest's `idleTimeoutMs` may be shorter). */
  idleTimeoutMs: number
  caps: GrainCaps
}

export interface LifecycleOptions {
  docker: Docker
  grains: GrainRecordStore
  runs: RunStateStore
  catalog: AppCatalog
  settings: LifecycleSettings
  /** Put on every container (and the network) this lifecycle creates; it only ever touches containers carrying them. */
  extraLabels?: Record<string, string>
  /** Called when a grain is deleted, after its container and data are gone and before its record is. */
  onGrainDeleted?: (grainId: string) => Promise<void>
  log?: Logger
}

interface Live {
  state: GrainRunState
  containerId?: string
  address?: WakeAnswer
  /** The address was seen accepting connections since the container last started. */
  verified: boolean
  lastUsedAt: number
  idleTimeoutMs: number
  reason?: string
}

/** What the sweeper does to one grain now: pure, for tests. */
export function idleAction (g: { state: GrainRunState, lastUsedAt: number, idleTimeoutMs: number }, now: number, pauseAfterMs: number): 'stop' | 'pause' | undefined {
  if (g.state !== 'running' && g.state !== 'paused') return undefined
  const idle = now - g.lastUsedAt
  if (idle >= g.idleTimeoutMs) return 'stop'
  if (g.state === 'running' && pauseAfterMs > 0 && idle >= pauseAfterMs) return 'pause'
  return undefined
}

export class GrainLifecycle {
  readonly metrics: GrainMetrics
  private readonly live = new Map<string, Live>()
  private readonly inflight = new Map<string, Promise<WakeAnswer>>()
  private readonly queues = new Map<string, Promise<void>>()
  private network: Promise<void> | undefined
  private events: EventFollower | undefined
  private sweeper: NodeJS.Timeout | undefined
  private bootRetry: NodeJS.Timeout | undefined
  private closed = false
  private readonly log: Logger
  private readonly labels: Record<string, string>

  constructor (private readonly opts: LifecycleOptions) {
    this.log = opts.log ?? pino({ level: 'silent' })
    this.labels = opts.extraLabels ?? {}
    this.metrics = grainMetrics(() => [...this.live.values()].filter((g) => g.state === 'running' || g.state === 'paused').length)
  }

  /**
   * Follows Docker events, adopts what the previous run left, and sweeps idle
   * grains every `sweepIntervalMs` (0: never; call `sweep()`). If the engine
   * does not answer, it logs why and tries again every few seconds (the
   * health route reports Docker as down meanwhile); it never throws.
   */
  async start (sweepIntervalMs: number): Promise<void> {
    if (sweepIntervalMs > 0) {
      this.sweeper = setInterval(() => { this.sweep().catch((err: unknown) => this.log.error({ err }, 'idle sweep failed')) }, sweepIntervalMs)
      this.sweeper.unref()
    }
    await this.boot()
  }

  private async boot (): Promise<void> {
    if (this.closed) return
    try {
      this.events = followContainerEvents(this.opts.docker, this.labelFilters(), (e) => this.onEvent(e), () => { this.resync().catch((err: unknown) => this.log.warn({ err }, 'resync after event stream loss failed')) }, (err) => this.log.warn({ err }, 'Docker event stream problem'))
      await this.events.ready
      await this.reconcile()
    } catch (err) {
      this.events?.close()
      this.log.error({ err }, `cannot follow and reconcile grain containers; trying again in ${BOOT_RETRY_MS} ms`)
      this.bootRetry = setTimeout(() => { void this.boot() }, BOOT_RETRY_MS)
      this.bootRetry.unref()
    }
  }

  /** Stops following events and sweeping. Containers keep running; the next control plane adopts them. */
  async close (): Promise<void> {
    this.closed = true
    if (this.bootRetry !== undefined) clearTimeout(this.bootRetry)
    this.events?.close()
    if (this.sweeper !== undefined) clearInterval(this.sweeper)
    await Promise.allSettled([...this.queues.values()])
  }

  /** Makes the grain accept connections and says where. Throws GRAIN_ERR_NOT_FOUND, GRAIN_ERR_APP_MISSING or GRAIN_ERR_START_FAILED (with the log tail). */
  wake (grainId: string): Promise<WakeAnswer> {
    const g = this.live.get(grainId)
    if (g?.state === 'running' && g.verified && g.address !== undefined) {
      g.lastUsedAt = Date.now()
      this.metrics.wakes.inc({ kind: 'hot' })
      return Promise.resolve(g.address)
    }
    const pending = this.inflight.get(grainId)
    if (pending !== undefined) return pending
    const p = this.serial(grainId, () => this.bringUp(grainId)).finally(() => this.inflight.delete(grainId))
    this.inflight.set(grainId, p)
    return p
  }

  /** Stops the grain's container (kept for a fast next start). Succeeds silently if it is not running. */
  stop (grainId: string): Promise<void> {
    return this.serial(grainId, () => this.stopNow(grainId, 'stop requested'))
  }

  /** Marks grains as used now. Unknown or sleeping grains are ignored. */
  async touch (grainIds: readonly string[]): Promise<void> {
    const now = Date.now()
    const used = grainIds.filter((id) => {
      const g = this.live.get(id)
      if (g !== undefined) g.lastUsedAt = now
      return g !== undefined
    })
    await Promise.all(used.map((id) => this.opts.grains.update(id, { lastUsedAt: now })))
  }

  /** The grain's run state; throws GRAIN_ERR_NOT_FOUND for an unknown grain. */
  async state (grainId: string): Promise<GrainState> {
    const g = this.live.get(grainId)
    if (g !== undefined) return this.describe(grainId, g)
    const record = isId(grainId) ? await this.opts.grains.get(grainId) : undefined
    if (record === undefined) throw new GRAIN_ERR_NOT_FOUND(grainId)
    const run = await this.opts.runs.get(grainId)
    return { grainId, state: run?.state === 'failed' ? 'failed' : 'stopped', lastUsedAt: record.lastUsedAt, ...(run?.reason !== undefined ? { reason: run.reason } : {}) }
  }

  /** Run states of every grain this control plane has handled since it started; grains not listed are stopped. */
  states (): GrainState[] {
    return [...this.live].map(([id, g]) => this.describe(id, g))
  }

  /** Removes the grain's containers and data, calls `onGrainDeleted`, then deletes its record. Throws GRAIN_ERR_NOT_FOUND if there is no such grain. */
  remove (grainId: string): Promise<void> {
    return this.serial(grainId, async () => {
      if (!isId(grainId) || await this.opts.grains.get(grainId) === undefined) throw new GRAIN_ERR_NOT_FOUND(grainId)
      this.live.delete(grainId)
      for (const c of await this.findContainers(grainId)) await this.removeContainer(c.id)
      removeGrainDataDir(this.opts.settings.dataDir, grainId)
      await this.opts.runs.delete(grainId)
      await this.opts.onGrainDeleted?.(grainId)
      await this.opts.grains.delete(grainId)
    })
  }

  /** Pauses grains idle for `pauseAfterMs`, stops those idle past their idle timeout. */
  async sweep (): Promise<void> {
    const now = Date.now()
    const jobs: Promise<void>[] = []
    for (const [id, g] of this.live) {
      if (idleAction(g, now, this.opts.settings.pauseAfterMs) === undefined) continue
      jobs.push(this.serial(id, async () => {
        const current = this.live.get(id)
        if (current === undefined) return
        // Re-decided inside the queue: a wake may have used it meanwhile.
        const action = idleAction(current, Date.now(), this.opts.settings.pauseAfterMs)
        if (action === 'stop') await this.stopNow(id, 'idle')
        else if (action === 'pause') await this.pauseNow(id, current)
      }).catch((err: unknown) => this.log.warn({ err, grainId: id }, 'idle pause/stop failed')))
    }
    await Promise.all(jobs)
  }

  /** Makes memory and Redis agree with Docker after a restart; see `reconcile.ts` for the rules. */
  async reconcile (): Promise<void> {
    const containers = await this.listContainers()
    const grainIds = [...new Set([...containers.map((c) => c.grainId), ...await this.opts.runs.live()])]
    const records = new Map(await Promise.all(grainIds.map(async (id) => [id, await this.opts.grains.get(id)] as const)))
    const runStates = new Map<string, GrainRunState>()
    for (const id of grainIds) {
      const run = await this.opts.runs.get(id)
      if (run !== undefined) runStates.set(id, run.state)
    }
    for (const action of planReconcile(containers, (id) => records.get(id) !== undefined, runStates)) {
      const { grainId } = action
      switch (action.kind) {
        case 'remove':
          this.log.info({ grainId, containerId: action.containerId, why: action.why }, 'removing leftover grain container')
          await this.removeContainer(action.containerId)
          break
        case 'mark-stopped':
          await this.opts.runs.set(grainId, { state: 'stopped', since: Date.now(), reason: action.why })
          break
        case 'keep-stopped':
          await this.opts.runs.set(grainId, { state: 'stopped', since: Date.now(), containerId: action.containerId })
          break
        case 'adopt':
          await this.adopt(grainId, action.containerId, action.state)
          break
      }
    }
  }

  // --- internals -----------------------------------------------------------

  private describe (grainId: string, g: Live): GrainState {
    return { grainId, state: g.state, lastUsedAt: g.lastUsedAt, ...(g.reason !== undefined ? { reason: g.reason } : {}) }
  }

  private serial<T> (grainId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(grainId) ?? Promise.resolve()
    const run = previous.then(fn)
    const tail = run.then(() => {}, () => {})
    this.queues.set(grainId, tail)
    void tail.then(() => { if (this.queues.get(grainId) === tail) this.queues.delete(grainId) })
    return run
  }

  private labelFilters (): string[] {
    return [`${LABELS.managed}=true`, LABELS.grain, ...Object.entries(this.labels).map(([k, v]) => `${k}=${v}`)]
  }

  /** Test runs label their containers; a control plane that is not that test run leaves them alone. */
  private owns (labels: Record<string, string> | undefined): boolean {
    return this.labels[LABELS.test] !== undefined || labels?.[LABELS.test] === undefined
  }

  private async listContainers (grainId?: string): Promise<(FoundContainer & { labels: Record<string, string> })[]> {
    const label = this.labelFilters()
    if (grainId !== undefined) label.push(`${LABELS.grain}=${grainId}`)
    const list = await this.opts.docker.listContainers({ all: true, filters: JSON.stringify({ label }) })
    return list.filter((c) => this.owns(c.Labels)).map((c) => ({ id: c.Id, grainId: c.Labels[LABELS.grain] ?? '', state: c.State, created: c.Created, labels: c.Labels }))
  }

  private findContainers (grainId: string): Promise<(FoundContainer & { labels: Record<string, string> })[]> {
    return this.listContainers(grainId)
  }

  private async removeContainer (containerId: string): Promise<void> {
    try {
      await this.opts.docker.getContainer(containerId).remove({ force: true, v: true })
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err
    }
  }

  private ensureNetwork (): Promise<void> {
    this.network ??= ensureGrainNetwork(this.opts.docker, this.opts.settings.network, this.labels).then(async (bridge) => {
      try {
        await blockGrainsFromHost(bridge)
      } catch (err) {
        // Under docker compose this is expected: the grain-firewall service holds
        // the rule. This process cannot see whether it does, so it says both.
        this.log.warn({ err, bridge }, 'cannot add the iptables rule that keeps grains from connecting to the host (needs root and iptables); under docker compose the grain-firewall service adds it when it runs, otherwise add it on the host or grains can reach services listening on all host addresses')
      }
    }).catch((err: unknown) => {
      this.network = undefined
      throw err
    })
    return this.network
  }

  private idleTimeoutOf (app: CatalogEntry | undefined): number {
    return Math.min(app?.manifest.idleTimeoutMs ?? this.opts.settings.idleTimeoutMs, this.opts.settings.idleTimeoutMs)
  }

  private async addressOf (container: Docker.Container, port: number): Promise<WakeAnswer> {
    const info = await container.inspect()
    const host = info.NetworkSettings.Networks[this.opts.settings.network]?.IPAddress
    if (host === undefined || host === '') throw new Error(`the container has no address on network ${this.opts.settings.network}`)
    return { host, port }
  }

  private async adopt (grainId: string, containerId: string, state: 'running' | 'paused'): Promise<void> {
    const container = this.opts.docker.getContainer(containerId)
    const info = await container.inspect()
    const app = await this.opts.catalog.get(info.Config.Labels[LABELS.app] ?? '')
    const port = app?.manifest.port
    const host = info.NetworkSettings.Networks[this.opts.settings.network]?.IPAddress
    this.live.set(grainId, {
      state,
      containerId,
      ...(port !== undefined && host !== undefined && host !== '' ? { address: { host, port } } : {}),
      verified: false, // the first wake checks it accepts connections
      lastUsedAt: Date.now(),
      idleTimeoutMs: this.idleTimeoutOf(app),
    })
    await this.opts.runs.set(grainId, { state, containerId, since: Date.now() })
    this.log.info({ grainId, containerId, state }, 'adopted grain container')
  }

  private async bringUp (grainId: string): Promise<WakeAnswer> {
    const g = this.live.get(grainId)
    if (g?.state === 'running' && g.verified && g.address !== undefined) {
      g.lastUsedAt = Date.now()
      return g.address
    }
    if (g?.state === 'paused' && g.containerId !== undefined && g.address !== undefined && g.verified) {
      try {
        await this.opts.docker.getContainer(g.containerId).unpause()
        g.state = 'running'
        g.lastUsedAt = Date.now()
        this.metrics.wakes.inc({ kind: 'unpause' })
        await this.opts.runs.set(grainId, { state: 'running', containerId: g.containerId, since: Date.now() })
        return g.address
      } catch (err) {
        this.log.warn({ err, grainId }, 'unpause failed; starting the grain instead')
      }
    }
    this.metrics.wakes.inc({ kind: 'start' })
    return this.startNow(grainId)
  }

  private async startNow (grainId: string): Promise<WakeAnswer> {
    const began = Date.now()
    const { settings, docker } = this.opts
    const grain = isId(grainId) ? await this.opts.grains.get(grainId) : undefined
    if (grain === undefined) throw new GRAIN_ERR_NOT_FOUND(grainId)
    const app = await this.opts.catalog.get(grain.appId)
    if (app === undefined) throw new GRAIN_ERR_APP_MISSING(grainId, grain.appId)
    const { manifest, imageId } = app
    const g: Live = { state: 'starting', verified: false, lastUsedAt: began, idleTimeoutMs: this.idleTimeoutOf(app) }
    this.live.set(grainId, g)
    await this.opts.runs.set(grainId, { state: 'starting', since: began })
    let container: Docker.Container | undefined
    try {
      const found = (await this.findContainers(grainId)).sort((a, b) => b.created - a.created)
      let existing: (typeof found)[number] | undefined = found[0]
      for (const extra of found.slice(1)) await this.removeContainer(extra.id)
      if (existing !== undefined && (existing.labels[LABELS.appVersion] !== manifest.version || existing.labels[IMAGE_LABEL] !== imageId)) {
        this.log.info({ grainId, from: existing.labels[LABELS.appVersion], to: manifest.version }, 'upgrading grain: new container, same data')
        await this.removeContainer(existing.id)
        existing = undefined
      }
      if (grain.appVersion !== manifest.version) await this.opts.grains.update(grainId, { appVersion: manifest.version })
      if (existing === undefined) {
        const hostDataDir = ensureGrainDataDir(settings.dataDir, grainId)
        await this.ensureNetwork()
        container = await docker.createContainer(containerSpec({ grainId, manifest, imageId, hostDataDir, network: settings.network, caps: settings.caps, extraLabels: this.labels }))
      } else {
        container = docker.getContainer(existing.id)
      }
      g.containerId = container.id
      await this.opts.runs.set(grainId, { state: 'starting', since: began, containerId: container.id })
      // Inspect, not the listing: the listing can lag behind a container that just died.
      const current = existing === undefined ? undefined : (await container.inspect()).State
      if (current?.Paused === true) await container.unpause()
      else if (current?.Running !== true) await container.start()
      const address = await this.addressOf(container, manifest.port)
      const c = container
      const failure = await waitForListening(address.host, address.port, {
        deadline: began + settings.startTimeoutMs,
        gone: async () => {
          const s = (await c.inspect()).State
          return s.Running ? undefined : `it exited with code ${s.ExitCode}`
        },
      })
      if (failure !== undefined) throw new Error(failure === 'it did not accept connections in time' ? `it did not accept connections on port ${manifest.port} within ${settings.startTimeoutMs} ms` : failure)
      Object.assign(g, { state: 'running', address, verified: true, lastUsedAt: Date.now() })
      delete g.reason
      await this.opts.runs.set(grainId, { state: 'running', since: Date.now(), containerId: container.id })
      this.metrics.startSeconds.observe((Date.now() - began) / 1000)
      return address
    } catch (err) {
      const tail = container !== undefined ? await containerLogTail(container, LOG_TAIL_LINES) : ''
      if (container !== undefined) await container.kill().catch(() => {})
      const why = (err as Error).message
      const reason = tail === '' ? why : `${why}; last log lines:\n${tail}`
      Object.assign(g, { state: 'failed', reason, verified: false })
      delete g.address
      this.metrics.startFailures.inc()
      await this.opts.runs.set(grainId, { state: 'failed', since: Date.now(), reason, ...(container !== undefined ? { containerId: container.id } : {}) }).catch(() => {})
      this.log.warn({ err, grainId }, 'grain failed to start')
      throw new GRAIN_ERR_START_FAILED(grainId, reason, { cause: err })
    }
  }

  private async pauseNow (grainId: string, g: Live): Promise<void> {
    if (g.containerId === undefined) return
    await this.opts.docker.getContainer(g.containerId).pause()
    g.state = 'paused'
    await this.opts.runs.set(grainId, { state: 'paused', since: Date.now(), containerId: g.containerId })
  }

  private async stopNow (grainId: string, why: string): Promise<void> {
    const g = this.live.get(grainId)
    const containerIds = g?.containerId !== undefined ? [g.containerId] : (await this.findContainers(grainId)).filter((c) => c.state === 'running' || c.state === 'paused').map((c) => c.id)
    const wasPaused = g?.state === 'paused'
    // Marked stopped first, so the `die` event that follows is not taken for a crash.
    if (g !== undefined) {
      Object.assign(g, { state: 'stopped', verified: false, reason: why })
      delete g.address
    }
    await this.opts.runs.set(grainId, { state: 'stopped', since: Date.now(), reason: why, ...(containerIds[0] !== undefined ? { containerId: containerIds[0] } : {}) })
    for (const id of containerIds) {
      const c = this.opts.docker.getContainer(id)
      try {
        if (wasPaused) await c.unpause().catch(() => {})
        await c.stop({ t: STOP_GRACE_S })
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode
        if (status !== 304 && status !== 404) throw err
      }
    }
  }

  private onEvent (e: ContainerEvent): void {
    const grainId = e.attributes[LABELS.grain]
    if (grainId === undefined || !this.owns(e.attributes)) return
    const g = this.live.get(grainId)
    if (g === undefined || g.containerId !== e.containerId) return
    if ((e.action === 'die' || e.action === 'destroy') && (g.state === 'running' || g.state === 'paused')) {
      this.markGone(grainId, g, e.action === 'die' ? `its process exited with code ${e.attributes.exitCode ?? '?'}` : 'its container was removed')
      if (e.action === 'destroy') delete g.containerId
    } else if (e.action === 'pause' && g.state === 'running') {
      g.state = 'paused'
    }
  }

  /** A grain memory believed up is not: a crash, or a removal behind our back. */
  private markGone (grainId: string, g: Live, reason: string): void {
    Object.assign(g, { state: 'stopped', verified: false, reason })
    delete g.address
    this.metrics.crashes.inc()
    this.log.warn({ grainId, containerId: g.containerId, reason }, 'grain stopped unexpectedly')
    this.opts.runs.set(grainId, { state: 'stopped', since: Date.now(), reason }).catch((err: unknown) => this.log.error({ err, grainId }, 'cannot record grain state'))
  }

  /** After missed events: re-check every grain memory believes is up. */
  private async resync (): Promise<void> {
    const actual = new Map((await this.listContainers()).map((c) => [c.id, c.state]))
    for (const [grainId, g] of this.live) {
      if (g.state !== 'running' && g.state !== 'paused') continue
      const state = g.containerId === undefined ? undefined : actual.get(g.containerId)
      if (state === 'running' || state === 'paused') g.state = state
      else this.markGone(grainId, g, 'its container stopped while the Docker event stream was down')
    }
  }
}
