/**
 * The Docker engine client as a fastify plugin: decorates `app.docker`.
 * Everything Granary creates carries the label `granary.managed=true`
 * (see `LABELS`), so it can be found, adopted and cleaned up by label.
 */
import Docker from 'dockerode'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { withTimeout } from '../core/timeout.js'

declare module 'fastify' {
  interface FastifyInstance { docker: Docker }
}

export const LABELS = {
  managed: 'granary.managed',
  grain: 'granary.grain',
  app: 'granary.app',
  appVersion: 'granary.app-version',
  /** Set on resources made by tests, so a test run can remove exactly its own. */
  test: 'granary.test',
  /** The installation a grain container belongs to (`GRANARY_INSTANCE_ID`), so the up command can remove its own. */
  instance: 'granary.instance',
} as const

export const dockerPlugin = fp(async function dockerPlugin (app: FastifyInstance, opts: { docker?: Docker, socketPath?: string }) {
  app.decorate('docker', opts.docker ?? new Docker(opts.socketPath !== undefined ? { socketPath: opts.socketPath } : {}))
}, { name: 'granary-docker' })

/** True when the engine answers a ping within `timeoutMs`. */
export async function dockerAnswers (docker: Docker, timeoutMs = 2000): Promise<boolean> {
  try {
    await withTimeout(docker.ping(), timeoutMs, 'timeout')
    return true
  } catch {
    return false
  }
}
