/**
 * Serves the shell UI (static files in `proxy/ui/`) on the shell origin.
 *
 * - `GET /` is the one page (hash routing: `#/grains`, `#/grain/<id>`, `#/admin`);
 *   `GET /link` is the same page, for sharing links (`/link#<secret>`).
 *   It is revalidated on every load (`Cache-Control: no-cache`) and carries a
 *   strict Content-Security-Policy: scripts, styles and API calls only from the
 *   shell itself; frames only from grain origins (`<scheme>://*.<base domain>:<port>`);
 *   the shell itself may not be framed.
 * - Assets live under `/ui/<version>/`, where the version is a hash of every
 *   file's content, computed once at start-up. A changed file gets a new URL,
 *   so assets can be cached for a year (`immutable`) and a deploy is never
 *   half-stale. The page's relative ES module imports follow the same prefix.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { AddressInfo } from 'node:net'

export const UI_ROOT = new URL('./ui/', import.meta.url).pathname
/** Where versioned assets are served; the page's `{{ASSET_BASE}}` becomes `${ASSET_PREFIX}<version>/`. */
export const ASSET_PREFIX = '/ui/'
const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable'
const PAGE_CACHE_CONTROL = 'no-cache'

export interface UiPluginOptions {
  /** Shell host name, optionally with a port (`BASE_DOMAIN`); grains live at `<id>.<baseDomain>`. */
  baseDomain: string
  /** Port users reach the proxy on (`PUBLIC_PORT`); unset: the port the server listens on. */
  publicPort?: number
  /** Where the static files are; defaults to `proxy/ui/`. */
  root?: string
}

function listFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? listFiles(path) : [path]
  }).sort()
}

/** A short hash of every file's path and content: changes whenever any asset does. */
export function assetVersion (root: string): string {
  const hash = createHash('sha256')
  for (const file of listFiles(root)) hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0')
  return hash.digest('hex').slice(0, 12)
}

/** The shell page's policy. `grainOrigin` is a CSP host source matching every grain origin. */
export function shellCsp (grainOrigin: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    `frame-src ${grainOrigin}`,
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ')
}

async function uiPlugin (app: FastifyInstance, opts: UiPluginOptions): Promise<void> {
  const root = opts.root ?? UI_ROOT
  const version = assetVersion(root)
  const assetBase = `${ASSET_PREFIX}${version}/`
  const page = readFileSync(join(root, 'index.html'), 'utf8').replaceAll('{{ASSET_BASE}}', assetBase)
  const [domain, domainPort] = opts.baseDomain.split(':') as [string, string | undefined]

  // The grain origin's scheme and port are those the user reached the shell on.
  // trustProxy is off, so `request.protocol` comes from the socket, not a header.
  const grainOrigin = (request: FastifyRequest): string => {
    const port = domainPort ?? String(opts.publicPort ?? (app.server.address() as AddressInfo | null)?.port ?? '')
    const defaultPort = request.protocol === 'https' ? '443' : '80'
    return `${request.protocol}://*.${domain}${port === '' || port === defaultPort ? '' : ':' + port}`
  }

  await app.register(fastifyStatic, {
    root,
    prefix: assetBase,
    index: false,
    wildcard: true,
    cacheControl: false,
    etag: true,
    lastModified: false,
    setHeaders: (reply) => {
      reply.header('Cache-Control', ASSET_CACHE_CONTROL)
      reply.header('X-Content-Type-Options', 'nosniff')
    },
  })

  // `/link` is where sharing links point (`/link#<secret>`): the same page, which reads the fragment.
  const sendPage = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => reply
    .header('Content-Type', 'text/html; charset=utf-8')
    .header('Cache-Control', PAGE_CACHE_CONTROL)
    .header('Content-Security-Policy', shellCsp(grainOrigin(request)))
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'same-origin')
    .send(page)
  app.get('/', { schema: { hide: true } }, sendPage)
  app.get('/link', { schema: { hide: true } }, sendPage)
}

export const uiRoutes = fp(uiPlugin, { name: 'granary-ui', fastify: '5.x' })
