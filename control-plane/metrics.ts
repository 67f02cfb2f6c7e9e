/**
 * The control plane's Prometheus metrics, in a registry of its own per app
 * instance (never prom-client's global one, so several instances can live in
 * one process, as in tests).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client'

export interface GrainMetrics {
  registry: Registry
  startSeconds: Histogram
  startFailures: Counter
  crashes: Counter
  wakes: Counter<'kind'>
}

/** `running` is read at scrape time, so the gauge is never stale. */
export function grainMetrics (running: () => number): GrainMetrics {
  const registry = new Registry()
  new Gauge({ name: 'granary_grains_running', help: 'Grain containers running or paused', registers: [registry], collect () { this.set(running()) } })
  const startSeconds = new Histogram({
    name: 'granary_grain_start_seconds',
    help: 'Time from a wake that needs a start to the grain accepting connections',
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  })
  const startFailures = new Counter({ name: 'granary_grain_start_failures_total', help: 'Grain starts that failed', registers: [registry] })
  const crashes = new Counter({ name: 'granary_grain_crashes_total', help: 'Running grains whose process died without being asked to stop', registers: [registry] })
  const wakes = new Counter({ name: 'granary_grain_wakes_total', help: 'Wake calls by what they needed: hot (already running), unpause, start', labelNames: ['kind'] as const, registers: [registry] })
  return { registry, startSeconds, startFailures, crashes, wakes }
}
