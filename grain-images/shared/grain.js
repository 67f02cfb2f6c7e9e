/**
 * What every example app needs to live inside a Granary grain, with nothing
 * but node:http: the grain contract (trust only the headers the proxy sets),
 * JSON in and out with a size limit, a static UI, and state kept in the data
 * directory, written atomically (temp file + fsync + rename) so a crash or a
 * stop never leaves a half-written file.
 *
 * The contract (see DESIGN.md): `X-Permissions` (comma-separated permission
 * ids), `X-User-Id` (32 hex, per grain), `X-User-Name` (percent-encoded UTF-8).
 * Every other identity claim is ignored.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, writeSync } from 'node:fs'
import { createServer } from 'node:http'
import { dirname, extname, join } from 'node:path'

/** An error that becomes an HTTP answer `{ error: { code, message } }`. */
export class HttpError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor (status, code, message) {
    super(message)
    this.status = status
    this.code = code
  }
}

/**
 * @typedef {object} Caller
 * @property {Set<string>} permissions what the proxy says this caller may do here
 * @property {string | undefined} userId stable per user within this grain; undefined for anonymous visitors
 * @property {string} userName display name ("Anonymous" when absent or malformed)
 */

/** @param {import('node:http').IncomingMessage} req @returns {Caller} */
export function callerOf (req) {
  const raw = req.headers['x-permissions']
  const permissions = new Set(typeof raw === 'string' ? raw.split(',').map((p) => p.trim()).filter((p) => p !== '') : [])
  const id = req.headers['x-user-id']
  const userId = typeof id === 'string' && /^[0-9a-f]{32}$/.test(id) ? id : undefined
  let userName = 'Anonymous'
  const name = req.headers['x-user-name']
  if (typeof name === 'string' && name !== '') {
    try {
      userName = decodeURIComponent(name).slice(0, 80)
    } catch {
      userName = 'Anonymous'
    }
  }
  return { permissions, userId, userName }
}

/** Throws a 403 unless the caller holds `permission`. @param {Caller} caller @param {string} permission */
export function need (caller, permission) {
  if (!caller.permissions.has(permission)) throw new HttpError(403, 'forbidden', `you need the "${permission}" permission`)
}

/** @param {import('node:http').ServerResponse} res @param {number} status @param {unknown} body */
export function sendJson (res, status, body) {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
  res.end(text)
}

/**
 * Reads a JSON object body of at most `limit` bytes.
 * @param {import('node:http').IncomingMessage} req @param {number} limit @returns {Promise<Record<string, unknown>>}
 */
export function readJson (req, limit) {
  return new Promise((resolve, reject) => {
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
      reject(new HttpError(415, 'unsupported_media_type', 'send JSON (content-type: application/json)'))
      req.resume()
      return
    }
    const tooLarge = new HttpError(413, 'too_large', `body larger than ${limit} bytes`)
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      reject(tooLarge)
      req.resume()
      return
    }
    /** @type {Buffer[]} */
    const chunks = []
    let size = 0
    req.on('data', (/** @type {Buffer} */ chunk) => {
      size += chunk.length
      // Past the limit: answer now, discard the rest as it arrives.
      if (size > limit) reject(tooLarge)
      else chunks.push(chunk)
    })
    req.on('error', reject)
    req.on('end', () => {
      try {
        const value = JSON.parse(Buffer.concat(chunks).toString('utf8'))
        if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object')
        resolve(value)
      } catch {
        reject(new HttpError(400, 'bad_request', 'body is not a JSON object'))
      }
    })
  })
}

/** A string field of a body, trimmed, checked for length. @param {Record<string, unknown>} body @param {string} field @param {{ max: number, optional?: boolean, min?: number }} opts @returns {string | undefined} */
export function stringField (body, field, opts) {
  const v = body[field]
  if (v === undefined && opts.optional === true) return undefined
  if (typeof v !== 'string') throw new HttpError(400, 'bad_request', `"${field}" must be a string`)
  if (v.length > opts.max) throw new HttpError(400, 'bad_request', `"${field}" is longer than ${opts.max} characters`)
  if (v.trim().length < (opts.min ?? 0)) throw new HttpError(400, 'bad_request', `"${field}" must not be empty`)
  return v
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' }

/**
 * The files of a UI folder, read once: only these exact names are ever served
 * (no path from the URL touches the file system).
 * @param {string} dir @returns {Map<string, { type: string, body: Buffer }>}
 */
export function staticFiles (dir) {
  const files = new Map()
  for (const name of readdirSync(dir)) {
    const type = TYPES[/** @type {keyof typeof TYPES} */ (extname(name))]
    if (type !== undefined) files.set(`/${name}`, { type, body: readFileSync(join(dir, name)) })
  }
  const index = files.get('/index.html')
  if (index !== undefined) files.set('/', index)
  return files
}

/** Writes `text` to `file` atomically: temp file, fsync, rename, fsync the directory. @param {string} file @param {string} text */
export function writeFileAtomic (file, text) {
  const tmp = `${file}.tmp-${process.pid}`
  const fd = openSync(tmp, 'w', 0o600)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, file)
  // Make the rename itself durable: a power cut must not bring the old file back.
  const dir = openSync(dirname(file), 'r')
  try {
    fsyncSync(dir)
  } finally {
    closeSync(dir)
  }
}

/**
 * A JSON document in the data directory. `save()` is cheap to call often: the
 * latest value is written at most once per `delayMs`; `flush()` writes now.
 * @template T
 * @param {string} dataDir @param {string} name @param {() => T} initial
 */
export function jsonFile (dataDir, name, initial, delayMs = 100) {
  mkdirSync(dataDir, { recursive: true })
  const file = join(dataDir, name)
  /** @type {T} */
  let value
  try {
    value = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'ENOENT') throw err
    value = initial()
  }
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    writeFileAtomic(file, JSON.stringify(value))
  }
  return {
    file,
    /** @returns {T} */
    get: () => value,
    /** @param {T} next */
    save (next) {
      value = next
      timer ??= setTimeout(flush, delayMs)
    },
    flush,
    pending: () => timer !== undefined,
  }
}

/** Settings every app takes from its environment (the manifest's port and data path). */
export function appEnv () {
  const port = Number(process.env.PORT ?? 8000)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT=${process.env.PORT}: not a port`)
  return { port, dataDir: process.env.DATA_DIR ?? '/data' }
}

/**
 * Runs an app: answers requests with `handle` (an `HttpError` becomes its
 * JSON answer; anything else a 500), passes upgrades to `upgrade`, and on
 * SIGTERM/SIGINT runs `beforeExit` (flush state) and exits.
 * @param {{ port: number, handle: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => Promise<void> | void, upgrade?: (req: import('node:http').IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => void, beforeExit?: () => void, name: string }} app
 */
export function serve (app) {
  const server = createServer((req, res) => {
    Promise.resolve().then(() => app.handle(req, res)).catch((err) => {
      if (res.headersSent) { res.destroy(); return }
      if (err instanceof HttpError) sendJson(res, err.status, { error: { code: err.code, message: err.message } })
      else {
        console.error(`${app.name}: request failed`, err)
        sendJson(res, 500, { error: { code: 'internal', message: 'internal error' } })
      }
    })
  })
  if (app.upgrade !== undefined) server.on('upgrade', app.upgrade)
  server.listen(app.port, () => {
    const address = server.address()
    console.log(JSON.stringify({ msg: `${app.name} listening`, port: typeof address === 'object' && address !== null ? address.port : app.port }))
  })
  const stop = () => {
    try { app.beforeExit?.() } finally { process.exit(0) }
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  return server
}

/** Rejects an upgrade with a plain HTTP status. @param {import('node:stream').Duplex} socket @param {number} status @param {string} message */
export function refuseUpgrade (socket, status, message) {
  socket.end(`HTTP/1.1 ${status} ${message}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(message)}\r\nconnection: close\r\n\r\n${message}`)
}
