/**
 * Full backups of one Granary installation: every Redis key and every grain's
 * data directory, in one tar stream. The admin CLI (`scripts/granary-admin.ts`)
 * wraps these with pausing grains; `scripts/backup.sh` / `restore.sh` wrap
 * that for docker compose.
 *
 * Layout (plain POSIX tar):
 *
 * | entry | holds |
 * | --- | --- |
 * | `backup.json` (first) | `BackupManifest`: format, version, createdAt, key count, grain ids |
 * | `redis.jsonl` | one line per key: `{"k": key, "v": DUMP payload (base64), "t": TTL in ms or -1}` |
 * | `grains/<grainId>/**` | each grain's data directory |
 * | `installation/**` | `INSTALLATION_FILES` found in the data directory: the secrets user ids and sessions derive from, the self-signed certificate |
 *
 * Keys are stored without the client's key prefix and restored under the
 * target's prefix. Run-time state the control plane rebuilds on its own
 * (`RUNTIME_KEY_PATTERNS`: which container runs which grain) is left out, so a
 * restore on a fresh machine never points at containers that do not exist.
 *
 * Consistency: Redis is read first, key by key; then the grains' files. Keys
 * or grains written during the backup may or may not be in it. The admin
 * command pauses grain containers during the copy and `scripts/backup.sh`
 * stops the proxy first, so nothing writes while it runs.
 *
 * DUMP payloads are specific to Redis's RDB version: restore into the same or
 * a newer Redis.
 */
import { lstat, mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import type { Redis } from 'ioredis'
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { GRAIN_ERR_ARCHIVE_INVALID } from './errors.js'
import {
  TarBuilder, TreeExtractor, asArchiveError, rawByteCap, tarReader, type GrainArchiveLimits, type TarEntry,
} from './grain-archive.js'
import { isId } from './ids.js'
import { keys } from './keys.js'
import { dataPaths } from './paths.js'

export const BACKUP_FORMAT = 'granary-backup'
export const BACKUP_VERSION = 1
const MANIFEST_ENTRY = 'backup.json'
const REDIS_ENTRY = 'redis.jsonl'
const GRAINS_ROOT = 'grains'
const SCAN_COUNT = 500
const DUMP_BATCH = 200

/**
 * Files of the data directory that belong to the installation, not to a grain:
 * without the proxy's secret a restored installation would show apps other
 * user ids. Restored only with `replace` if the target already has them.
 */
export const INSTALLATION_FILES: readonly string[] = ['proxy.secret', 'control-plane.secret', 'tls']
const INSTALLATION_ROOT = 'installation'

/** Keys that describe running containers, not data: never backed up, never restored. */
export const RUNTIME_KEY_PATTERNS: readonly RegExp[] = [/^grain-run:/, /^grain-runs:live$/]

/** Defaults for a restore: far larger than a grain import, still bounded. */
export const DEFAULT_RESTORE_LIMITS: GrainArchiveLimits = { maxTotalBytes: 64 * 1024 ** 3, maxEntries: 10_000_000 }

export const BackupManifestSchema = Type.Object({
  format: Type.Literal(BACKUP_FORMAT),
  version: Type.Literal(BACKUP_VERSION),
  createdAt: Type.Integer({ minimum: 0 }),
  redisKeys: Type.Integer({ minimum: 0 }),
  grains: Type.Array(Type.String({ pattern: '^[a-z2-7]{8,40}$' })),
})
export type BackupManifest = Static<typeof BackupManifestSchema>

const invalid = (message: string): Error => new GRAIN_ERR_ARCHIVE_INVALID(message)

const escapeGlob = (s: string): string => s.replace(/[*?[\]\\]/g, '\\$&')

/** Every key under `prefix` (prefix stripped), run-time keys excluded. */
async function listKeys (redis: Redis, prefix: string): Promise<string[]> {
  const out: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', SCAN_COUNT)
    cursor = next
    for (const k of batch) {
      const key = k.slice(prefix.length)
      if (!RUNTIME_KEY_PATTERNS.some((p) => p.test(key))) out.push(key)
    }
  } while (cursor !== '0')
  return [...new Set(out)].sort()
}

/**
 * Every key as JSON lines (DUMP + PTTL, in transactions of a few hundred keys).
 * `redis` must have no keyPrefix of its own; `prefix` selects the keys.
 */
export async function dumpRedis (redis: Redis, prefix = ''): Promise<{ jsonl: Buffer, count: number }> {
  const names = await listKeys(redis, prefix)
  const lines: string[] = []
  for (let i = 0; i < names.length; i += DUMP_BATCH) {
    const batch = names.slice(i, i + DUMP_BATCH)
    const tx = redis.multi()
    for (const k of batch) tx.dumpBuffer(prefix + k).pttl(prefix + k)
    const results = (await tx.exec()) ?? []
    batch.forEach((k, j) => {
      const dump = results[2 * j]?.[1] as Buffer | null | undefined
      const ttl = results[2 * j + 1]?.[1] as number | undefined
      if (dump === null || dump === undefined) return // deleted since the scan
      lines.push(JSON.stringify({ k, v: dump.toString('base64'), t: ttl === undefined || ttl < 0 ? -1 : ttl }))
    })
  }
  return { jsonl: Buffer.from(lines.length === 0 ? '' : lines.join('\n') + '\n'), count: lines.length }
}

/** Restores `dumpRedis` output under `prefix`, replacing same-named keys. Returns the number of keys. */
export async function restoreRedis (redis: Redis, jsonl: string, prefix = ''): Promise<number> {
  let count = 0
  let tx = redis.multi()
  let pending = 0
  for (const line of jsonl.split('\n')) {
    if (line.trim() === '') continue
    let record: { k?: unknown, v?: unknown, t?: unknown }
    try {
      record = JSON.parse(line) as typeof record
    } catch {
      throw invalid(`${REDIS_ENTRY}: line ${count + 1} is not JSON`)
    }
    if (typeof record.k !== 'string' || typeof record.v !== 'string' || typeof record.t !== 'number') throw invalid(`${REDIS_ENTRY}: line ${count + 1} is malformed`)
    tx.restore(prefix + record.k, record.t < 0 ? 0 : record.t, Buffer.from(record.v, 'base64'), 'REPLACE')
    count++
    if (++pending >= DUMP_BATCH) {
      await execOrThrow(tx)
      tx = redis.multi()
      pending = 0
    }
  }
  if (pending > 0) await execOrThrow(tx)
  return count
}

async function execOrThrow (tx: ReturnType<Redis['multi']>): Promise<void> {
  for (const [err] of (await tx.exec()) ?? []) if (err) throw invalid(`Redis refused a key: ${err.message}`)
}

export interface WriteBackupOptions {
  redis: Redis
  /** Key prefix of this installation's keys ('' in production). */
  keyPrefix?: string
  dataDir: string
  /** Called after Redis was read and before the grain files are (e.g. to pause grains). */
  beforeFiles?: (grainIds: string[]) => Promise<void>
  now?: () => number
}

/** A backup as a tar stream. Errors surface as stream errors. */
export function writeBackup (opts: WriteBackupOptions): Readable {
  const prefix = opts.keyPrefix ?? ''
  const tarball = new TarBuilder()
  const run = async (): Promise<void> => {
    const { jsonl, count } = await dumpRedis(opts.redis, prefix)
    const grains = (await opts.redis.zrange(prefix + keys.grainsAll(), 0, -1)).filter(isId)
    const manifest: BackupManifest = { format: BACKUP_FORMAT, version: BACKUP_VERSION, createdAt: (opts.now ?? Date.now)(), redisKeys: count, grains }
    await tarball.add({ name: MANIFEST_ENTRY, type: 'file', mode: 0o600 }, Buffer.from(JSON.stringify(manifest, null, 2) + '\n'))
    await tarball.add({ name: REDIS_ENTRY, type: 'file', mode: 0o600 }, jsonl)
    await opts.beforeFiles?.(grains)
    await tarball.add({ name: `${GRAINS_ROOT}/`, type: 'directory', mode: 0o711 })
    const grainsDir = dataPaths(opts.dataDir).grains
    for (const id of grains) {
      await tarball.addTree(join(grainsDir, id), `${GRAINS_ROOT}/${id}`).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err // a grain never started has no data directory yet
      })
    }
    for (const name of INSTALLATION_FILES) {
      const path = join(opts.dataDir, name)
      const st = await lstat(path).catch(() => undefined)
      if (st?.isDirectory() === true) await tarball.addTree(path, `${INSTALLATION_ROOT}/${name}`)
      else if (st?.isFile() === true) await tarball.add({ name: `${INSTALLATION_ROOT}/${name}`, type: 'file', mode: 0o600 }, await readFile(path))
    }
    tarball.finalize()
  }
  run().catch((err: unknown) => tarball.fail(err as Error))
  return tarball.stream
}

export interface ReadBackupOptions {
  redis: Redis
  keyPrefix?: string
  dataDir: string
  /** Empty the key space (under the prefix) and remove grain data the backup holds first; without it, a non-empty target is refused. */
  replace?: boolean
  /** Owner for restored grain files (the grain user). */
  owner?: { uid: number, gid: number }
  limits?: GrainArchiveLimits
}

/**
 * Where a backup entry goes: below the grains directory (`grains/<grainId>/...`)
 * or below the data directory (`installation/<one of INSTALLATION_FILES>...`); throws for anything else.
 */
function entryPlace (name: string): { root: 'grains' | 'installation', rel: string } {
  const clean = name.replace(/^\.\//, '')
  if (clean.includes('\0') || clean.startsWith('/')) throw invalid(`bad entry name ${JSON.stringify(name)}`)
  const segments = clean.split('/').filter((s) => s !== '' && s !== '.')
  if (segments.includes('..')) throw invalid(`entry name ${JSON.stringify(name)} contains ".."`)
  if (segments[0] === GRAINS_ROOT) {
    if (segments.length > 1 && !isId(segments[1] ?? '')) throw invalid(`entry ${JSON.stringify(name)} is not below a grain id`)
    return { root: 'grains', rel: segments.slice(1).join('/') }
  }
  if (segments[0] === INSTALLATION_ROOT && (segments.length === 1 || INSTALLATION_FILES.includes(segments[1] ?? ''))) {
    return { root: 'installation', rel: segments.slice(1).join('/') }
  }
  throw invalid(`unexpected entry ${JSON.stringify(name)}`)
}

async function readText (entry: TarEntry): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of entry) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * Restores a backup: Redis keys first (checked before anything is written),
 * then grain files. A refused archive (bad names, links out, devices...)
 * leaves no grain files behind; Redis keys already restored stay (run with
 * `replace` again to redo).
 */
export async function readBackup (source: Readable | AsyncIterable<Buffer>, opts: ReadBackupOptions): Promise<BackupManifest> {
  const prefix = opts.keyPrefix ?? ''
  const limits = opts.limits ?? DEFAULT_RESTORE_LIMITS
  const grainsDir = dataPaths(opts.dataDir).grains
  const reader = tarReader(source, rawByteCap(limits))
  const trees = { grains: new TreeExtractor(grainsDir, limits), installation: new TreeExtractor(opts.dataDir, limits, opts.replace === true) }
  let manifest: BackupManifest | undefined
  let redisDone = false
  try {
    for await (const entry of reader.extract) {
      const name = entry.header.name.replace(/^\.\//, '')
      if (manifest === undefined) {
        if (name !== MANIFEST_ENTRY) throw invalid(`${MANIFEST_ENTRY} must be the first entry`)
        const value: unknown = JSON.parse(await readText(entry))
        if (!Value.Check(BackupManifestSchema, value)) throw invalid(`${MANIFEST_ENTRY} is not a Granary backup manifest`)
        manifest = value
        await prepareTarget(opts, prefix, grainsDir, manifest)
        continue
      }
      if (name === REDIS_ENTRY) {
        await restoreRedis(opts.redis, await readText(entry), prefix)
        redisDone = true
        continue
      }
      const { root, rel } = entryPlace(entry.header.name)
      if (entry.header.type === 'link') {
        const target = entryPlace(entry.header.linkname ?? '')
        if (target.root !== root) throw invalid(`hard link ${entry.header.name} crosses parts of the backup`)
        await trees[root].hardLink(rel, target.rel, entry)
      } else {
        await trees[root].entry(rel, entry)
      }
    }
    await reader.done
    if (manifest === undefined || !redisDone) throw invalid('incomplete backup (no manifest or no Redis data)')
    await trees.grains.finish(opts.owner)
    await trees.installation.finish()
    return manifest
  } catch (err) {
    await reader.abort()
    await trees.grains.undo()
    await trees.installation.undo()
    throw asArchiveError(err)
  }
}

async function prepareTarget (opts: ReadBackupOptions, prefix: string, grainsDir: string, manifest: BackupManifest): Promise<void> {
  await mkdir(grainsDir, { recursive: true, mode: 0o711 })
  const existing = await listKeys(opts.redis, prefix)
  if (existing.length > 0 && opts.replace !== true) {
    throw new Error(`the target Redis already holds ${existing.length} keys: restore only into a fresh installation, or pass --replace to empty it first`)
  }
  if (opts.replace === true) {
    for (let i = 0; i < existing.length; i += DUMP_BATCH) await opts.redis.del(...existing.slice(i, i + DUMP_BATCH).map((k) => prefix + k))
    for (const id of manifest.grains) await rm(join(grainsDir, id), { recursive: true, force: true })
  }
}
