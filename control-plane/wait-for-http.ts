/**
 * Waits until something accepts TCP connections at host:port: the grain's app
 * is listening. A refused connection is answered at once by the kernel, so a
 * short poll interval finds the app within a few ms of it listening.
 */
import { connect } from 'node:net'

const POLL_INTERVAL_MS = 15
const CONNECT_TIMEOUT_MS = 1000

function tryConnect (host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    const done = (ok: boolean): void => {
      socket.removeAllListeners()
      socket.on('error', () => {})
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

export interface WaitOptions {
  deadline: number
  /** Checked now and then; when it answers a reason, waiting stops with that reason (e.g. the container exited). */
  gone?: () => Promise<string | undefined>
  goneCheckEveryMs?: number
}

/** Resolves undefined once host:port accepts; otherwise a reason (timeout or `gone`'s answer). */
export async function waitForListening (host: string, port: number, opts: WaitOptions): Promise<string | undefined> {
  let nextGoneCheck = Date.now() + (opts.goneCheckEveryMs ?? 500)
  for (;;) {
    if (await tryConnect(host, port)) return undefined
    const now = Date.now()
    if (now >= opts.deadline) return 'it did not accept connections in time'
    if (opts.gone !== undefined && now >= nextGoneCheck) {
      const reason = await opts.gone()
      if (reason !== undefined) return reason
      nextGoneCheck = Date.now() + (opts.goneCheckEveryMs ?? 500)
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_INTERVAL_MS, Math.max(0, opts.deadline - now))))
  }
}
