/**
 * What every `granary` command shares (scripts/granary.ts dispatches): its
 * input and output, argument parsing, reaching the installation (Redis and
 * the control plane, found with the same settings the services read), and
 * turning errors into one line and an exit status.
 */
import { existsSync, readFileSync } from 'node:fs'
import type { Readable, Writable } from 'node:stream'
import type { Redis } from 'ioredis'
import { ControlPlaneError } from '../core/apps-client.js'
import { loadConfig } from '../core/config.js'
import { dataPaths } from '../core/paths.js'
import { openRedis } from '../core/redis.js'
import { commonSettings } from '../core/settings.js'

/** Status lines come at most this often while bytes flow. */
const PROGRESS_EVERY_MS = 500

export interface CliIo {
  env: Readonly<Record<string, string | undefined>>
  /** One line of the command's answer (standard output). */
  out: (line: string) => void
  /** One line of news or an error (standard error). */
  err: (line: string) => void
  /** Rewrites the current status line (a TTY), or prints it. */
  status?: (line: string) => void
  /** Standard input as bytes: `--password-stdin`, `grain import` without `--in`. */
  stdin?: Readable & { isTTY?: boolean }
  /** Standard output as bytes: `grain export` without `--out`. */
  stdout?: Writable & { isTTY?: boolean }
  /** Reads one line from the terminal without showing it; given when standard input is a terminal. */
  readSecret?: (prompt: string) => Promise<string>
  /** Tests only: the Redis key prefix the installation's services were built with. */
  redisKeyPrefix?: string
}

/** Wrong usage: exit status 2, with the usage text. */
export class UsageError extends Error {}
/** Refused here, before asking anything of the installation: exit status 1, with this message. */
export class CliError extends Error {}

/** A byte count for people: bytes, KiB or MiB. */
export function byteSize (n: number): string {
  if (n < 1024) return `${n} bytes`
  return n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`
}

/** Picks `--name value` options and `--flag`s out of the arguments. */
export function parseArgs (args: string[], valued: string[], flags: string[]): { positional: string[], options: Record<string, string>, set: Set<string> } {
  const positional: string[] = []
  const options: Record<string, string> = {}
  const set = new Set<string>()
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? ''
    if (valued.includes(arg)) {
      const value = args[++i]
      if (value === undefined) throw new UsageError(`${arg} needs a value`)
      options[arg] = value
    } else if (flags.includes(arg)) set.add(arg)
    else if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`)
    else positional.push(arg)
  }
  return { positional, options, set }
}

/** The one positional argument a command takes (`what` names it in the usage error). */
export function single (positional: string[], command: string, what: string): string {
  const [value, ...extra] = positional
  if (value === undefined || extra.length > 0) throw new UsageError(`${command} takes one ${what}`)
  return value
}

/** The control plane's socket and shared secret, found as the proxy finds them. */
export function controlPlaneAccess (env: CliIo['env']): { socket: string, secret: string } {
  const config = loadConfig(commonSettings, env)
  const paths = dataPaths(config.dataDir)
  const socket = config.controlPlaneSocket ?? paths.controlPlaneSocket
  if (config.controlPlaneSecret !== undefined) return { socket, secret: config.controlPlaneSecret }
  try {
    return { socket, secret: readFileSync(paths.controlPlaneSecret, 'utf8').trim() }
  } catch {
    throw new CliError(`cannot read the control plane secret ${paths.controlPlaneSecret}: is Granary set up with GRANARY_DATA_DIR=${config.dataDir}?`)
  }
}

/** REDIS_URL, or the private Redis the scripts run in the data directory when it is unset. */
function redisUrl (env: CliIo['env']): string {
  const config = loadConfig(commonSettings, env)
  if (config.redisUrl !== undefined) return config.redisUrl
  const socket = dataPaths(config.dataDir).privateRedisSocket
  if (existsSync(socket)) return `redis+unix://${socket}`
  throw new CliError(`REDIS_URL is not set and no private Redis runs at ${socket}: run this with the services' REDIS_URL (or their GRANARY_DATA_DIR)`)
}

/** Runs `use` with a connected client for the installation's Redis, and quits it afterwards. */
export async function withRedis<T> (io: CliIo, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = await openRedis(redisUrl(io.env), io.redisKeyPrefix !== undefined ? { keyPrefix: io.redisKeyPrefix } : {})
  // A failure reaches the command that meets it; the client's error event (say, a read
  // still under way when another part of the command failed and it quit) would only add noise.
  redis.on('error', () => {})
  try {
    return await use(redis)
  } finally {
    await redis.quit()
  }
}

/**
 * Reports bytes as they flow, at most every PROGRESS_EVERY_MS: `verb` and how
 * much (of `total`, when known). Answers the callback and how long it has run.
 */
export function progress (io: CliIo, verb: string, total?: number): { report: (bytes: number) => void, seconds: () => string } {
  const status = io.status ?? io.err
  const started = Date.now()
  // The first line only once it has taken a while: quick transfers show just their result.
  let last = started
  return {
    report (bytes) {
      const now = Date.now()
      if (now - last < PROGRESS_EVERY_MS) return
      last = now
      status(total === undefined ? `${verb} ${byteSize(bytes)}` : `${verb} ${byteSize(bytes)} of ${byteSize(total)} (${Math.floor(bytes * 100 / Math.max(total, 1))}%)`)
    },
    seconds: () => ((Date.now() - started) / 1000).toFixed(1),
  }
}

/**
 * Text from users (titles, display names) made safe for a terminal: control
 * characters and bidirectional overrides, which could rewrite what an admin
 * sees, become `?`.
 */
// eslint-disable-next-line no-control-regex
export const printable = (text: string): string => text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '?')

/** Cut to `max` characters, with an ellipsis when cut. */
export const clip = (text: string, max: number): string => [...text].length <= max ? text : [...text].slice(0, max - 1).join('') + '…'

/** A date for tables: `YYYY-MM-DD HH:MM` in UTC, or `-` for none. */
export const utcMinute = (ms: number): string => ms > 0 ? new Date(ms).toISOString().slice(0, 16).replace('T', ' ') : '-'

/** Rows under a header, each column as wide as its widest cell, two spaces apart. */
export function table (header: string[], rows: string[][]): string[] {
  const all = [header, ...rows]
  const widths = header.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? '')].length)))
  return all.map((r) => r.map((cell, i) => cell + ' '.repeat((widths[i] ?? 0) - [...cell].length)).join('  ').trimEnd())
}

/** The error as one line; answers the exit status (2 wrong usage, 1 anything else). */
export function reportError (err: unknown, io: CliIo, usage: string): number {
  if (err instanceof UsageError) {
    io.err(`granary: ${err.message}\n${usage}`)
    return 2
  }
  if (err instanceof ControlPlaneError) {
    io.err(`granary: ${err.message}${err.code.startsWith('ERR_') || err.status === 0 ? '' : ` (${err.code})`}`)
    return 1
  }
  if (!(err instanceof Error)) {
    io.err(`granary: ${String(err)}`)
    return 1
  }
  const { code, statusCode, cause } = err as Error & { code?: unknown, statusCode?: unknown }
  // Refusals from the error catalogue (core/errors.ts): their message, and their code when it says more.
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 && typeof code === 'string') {
    io.err(`granary: ${err.message}${code.startsWith('ERR_') ? '' : ` (${code})`}`)
    return 1
  }
  // Anything else (Redis or the control plane unreachable, a file that cannot be read): what failed, and why.
  io.err(`granary: ${err.message}${cause instanceof Error ? `: ${cause.message}` : ''}`)
  return 1
}

/**
 * Reads one line from a terminal in raw mode, showing nothing of it; `write`
 * puts the prompt (and the final newline) on the terminal. Ctrl-C or Ctrl-D
 * cancels.
 */
export function readHiddenLine (input: Readable & { setRawMode(raw: boolean): unknown }, write: (text: string) => void, prompt: string): Promise<string> {
  write(prompt)
  input.setRawMode(true)
  return new Promise((resolve, reject) => {
    let line: string[] = []
    const finish = (): void => {
      input.off('data', onData)
      input.setRawMode(false)
      input.pause()
      write('\n')
    }
    function onData (chunk: Buffer | string): void {
      for (const ch of String(chunk)) {
        if (ch === '\r' || ch === '\n') { finish(); resolve(line.join('')); return }
        if (ch === '\u0003' || ch === '\u0004') { finish(); reject(new CliError('cancelled')); return }
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1)
        else line.push(ch)
      }
    }
    input.on('data', onData)
    input.resume()
  })
}
