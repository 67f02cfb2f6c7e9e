/**
 * Start-up helpers shared by every service entry point: load the configuration
 * (a bad value ends the process with one line naming it), and close the
 * service cleanly on SIGINT/SIGTERM.
 */
import type { BaseLogger } from 'pino'
import { ConfigError } from './config.js'

/** What a service must offer to be shut down on a signal: a fastify app has both. */
export interface Closable {
  readonly log: Pick<BaseLogger, 'info' | 'error'>
  close (): PromiseLike<unknown>
}

export function loadOrExit<T> (service: string, load: () => T): T {
  try {
    return load()
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${service}: ${err.message}\n`)
      process.exit(78) // EX_CONFIG
    }
    throw err
  }
}

export function closeOnSignals (app: Closable): void {
  let closing = false
  const close = (signal: string): void => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down')
    app.close().then(() => process.exit(0), (err: unknown) => {
      app.log.error({ err }, 'shutdown failed')
      process.exit(1)
    })
  }
  process.once('SIGINT', () => close('SIGINT'))
  process.once('SIGTERM', () => close('SIGTERM'))
}

export const loggerOptions = (level: string) => ({
  level,
  redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', `req.headers["x-granary-control-secret"]`],
})
