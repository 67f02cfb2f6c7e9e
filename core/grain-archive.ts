/**
 * Grain archives: one grain as a tar stream (its data directory plus the
 * metadata needed to re-create it), and the validating reader that turns such
 * a stream back into a data directory.
 *
 * Layout of an archive (plain POSIX tar, nothing compressed):
 *
 * | entry | holds |
 * | --- | --- |
 * | `grain.json` (first entry) | `GrainArchiveMetadata`: format, version, appId, appVersion, title, exportedAt |
 * | `data/` and `data/**` | the grain's data directory: directories, regular files, relative symlinks |
 *
 * The reader treats every archive as hostile. It refuses, before writing the
 * offending entry and removing whatever it had written: absolute names, `..`
 * segments, names outside `data/`, device files and fifos, symlinks whose
 * target is absolute or contains `..` (so a link can only point at or below
 * its own directory), hard links to anything but a file already extracted,
 * entries below a symlink, duplicate names, and archives over the size or
 * entry-count caps. Symlinks are created only after every file is written, so
 * no write ever goes through a link. No Redis, no Docker: pure data handling.
 */
import { constants } from 'node:fs'
import { chmod, chown, copyFile, lchown, lstat, mkdir, open, readdir, readlink, rm, symlink } from 'node:fs/promises'
import { dirname, join, posix } from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import tar, { type Header } from 'tar-stream'
import { GRAIN_ERR_ARCHIVE_INVALID, GRAIN_ERR_ARCHIVE_TOO_LARGE } from './errors.js'

export const GRAIN_ARCHIVE_FORMAT = 'granary-grain'
export const GRAIN_ARCHIVE_VERSION = 1
export const METADATA_ENTRY = 'grain.json'
export const DATA_ROOT = 'data'

/** Default caps; callers may lower or raise them. */
export const DEFAULT_MAX_TOTAL_BYTES = 1024 * 1024 * 1024
export const DEFAULT_MAX_ENTRIES = 100_000
const MAX_METADATA_BYTES = 64 * 1024
/** Tar headers, padding and pax records on top of the file contents. */
const TAR_OVERHEAD_PER_ENTRY = 3 * 512

type TarHeader = Partial<Header> & Pick<Header, 'name'>

export const GrainArchiveMetadataSchema = Type.Object({
  format: Type.Literal(GRAIN_ARCHIVE_FORMAT),
  version: Type.Literal(GRAIN_ARCHIVE_VERSION),
  appId: Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' }),
  appVersion: Type.String({ minLength: 1, maxLength: 64 }),
  title: Type.String({ maxLength: 200 }),
  exportedAt: Type.Integer({ minimum: 0 }),
})
export type GrainArchiveMetadata = Static<typeof GrainArchiveMetadataSchema>

export interface GrainArchiveLimits {
  /** Largest sum of file sizes (and of the raw stream, plus tar overhead). */
  maxTotalBytes: number
  /** Most entries (files, directories, links) in one archive. */
  maxEntries: number
}

/** Why an archive was refused; `tooLarge` distinguishes a cap from a malformed or hostile archive. */
function invalid (message: string): Error { return new GRAIN_ERR_ARCHIVE_INVALID(message) }
function tooLarge (message: string): Error { return new GRAIN_ERR_ARCHIVE_TOO_LARGE(message) }

/**
 * The path of an entry relative to `data/` ('' for `data/` itself), or throws.
 * Pure: checks the name only. Accepts one leading `./` and trailing slashes.
 */
export function dataRelativePath (name: string): string {
  if (name.includes('\0')) throw invalid('entry name contains a NUL byte')
  if (name.startsWith('/')) throw invalid(`absolute entry name ${JSON.stringify(name)}`)
  const segments = name.replace(/^\.\//, '').split('/').filter((s) => s !== '' && s !== '.')
  if (segments.includes('..')) throw invalid(`entry name ${JSON.stringify(name)} contains ".."`)
  if (segments[0] !== DATA_ROOT) throw invalid(`unexpected entry ${JSON.stringify(name)} (only ${METADATA_ENTRY} and ${DATA_ROOT}/ may appear)`)
  return segments.slice(1).join('/')
}

/**
 * True when a symlink target, read relative to the link's own directory,
 * cannot leave it: relative, no `..` segment. Pure.
 */
export function symlinkTargetIsSafe (target: string): boolean {
  if (target === '' || target.includes('\0') || posix.isAbsolute(target)) return false
  return !target.split('/').includes('..')
}

/** True when `path` or one of its ancestors (relative, '/'-separated) is in `links`. Pure. */
export function isBelowAny (path: string, links: ReadonlySet<string>): boolean {
  const segments = path.split('/')
  for (let i = 1; i <= segments.length; i++) {
    if (links.has(segments.slice(0, i).join('/'))) return true
  }
  return false
}

/** Parses and checks `grain.json`. Pure. */
export function parseMetadata (text: string): GrainArchiveMetadata {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw invalid(`${METADATA_ENTRY} is not JSON`)
  }
  if (!Value.Check(GrainArchiveMetadataSchema, value)) {
    const first = Value.Errors(GrainArchiveMetadataSchema, value).First()
    throw invalid(`${METADATA_ENTRY}: ${first === undefined ? 'invalid' : `${first.path || '/'} ${first.message.toLowerCase()}`}`)
  }
  return value
}

// ---------------------------------------------------------------------------
// Writing

/**
 * Builds a tar stream entry by entry. `addTree` reads without following
 * symlinks (a grain may plant one between listing and reading: files are
 * opened with O_NOFOLLOW and checked after opening); symlinks that a reader
 * would refuse (absolute or with `..`) are left out, as are sockets, fifos and
 * devices.
 */
export class TarBuilder {
  private readonly pack = tar.pack()
  /** The archive; read it while entries are added. */
  readonly stream: Readable = Readable.from(this.pack)

  add (header: TarHeader, body?: Buffer): Promise<void> {
    return new Promise((resolve, reject) => { this.pack.entry(header, body ?? Buffer.alloc(0), (err) => { if (err) reject(err); else resolve() }) })
  }

  /** Adds the contents of `dir` as `<prefix>/...` (the `<prefix>/` directory entry itself included). */
  async addTree (dir: string, prefix: string): Promise<void> {
    const st = await lstat(dir)
    await this.add({ name: `${prefix}/`, type: 'directory', mode: st.mode & 0o777, mtime: st.mtime })
    await this.walk(dir, prefix)
  }

  finalize (): void { this.pack.finalize() }
  fail (err: Error): void { this.pack.destroy(err) }

  private async addFile (path: string, name: string): Promise<void> {
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW)
    try {
      const st = await handle.stat()
      if (!st.isFile()) return
      const header: TarHeader = { name, type: 'file', size: st.size, mode: st.mode & 0o777, mtime: st.mtime }
      if (st.size === 0) return await this.add(header)
      // A file that grows while read is cut to the size announced in its header.
      await pipeline(handle.createReadStream({ start: 0, end: st.size - 1, autoClose: false }), this.pack.entry(header))
    } finally {
      await handle.close()
    }
  }

  private async walk (dir: string, prefix: string): Promise<void> {
    for (const n of (await readdir(dir)).sort()) {
      const path = join(dir, n)
      const name = `${prefix}/${n}`
      const st = await lstat(path)
      if (st.isDirectory()) {
        await this.add({ name: `${name}/`, type: 'directory', mode: st.mode & 0o777, mtime: st.mtime })
        await this.walk(path, name)
      } else if (st.isFile()) {
        await this.addFile(path, name)
      } else if (st.isSymbolicLink()) {
        const target = await readlink(path)
        if (symlinkTargetIsSafe(target)) await this.add({ name, type: 'symlink', linkname: target, mode: 0o777, mtime: st.mtime })
      }
    }
  }
}

/**
 * A tar stream of `dataDir` with `metadata` first. Callers should stop or
 * pause the grain first, so the copy is consistent.
 */
export function packGrain (dataDir: string, metadata: Omit<GrainArchiveMetadata, 'format' | 'version'>): Readable {
  const full: GrainArchiveMetadata = { format: GRAIN_ARCHIVE_FORMAT, version: GRAIN_ARCHIVE_VERSION, ...metadata }
  const tarball = new TarBuilder()
  const run = async (): Promise<void> => {
    await tarball.add({ name: METADATA_ENTRY, type: 'file', mode: 0o644, mtime: new Date(full.exportedAt) }, Buffer.from(JSON.stringify(full, null, 2) + '\n'))
    await tarball.addTree(dataDir, DATA_ROOT)
    tarball.finalize()
  }
  run().catch((err: unknown) => tarball.fail(err as Error))
  return tarball.stream
}

// ---------------------------------------------------------------------------
// Reading

export interface UnpackOptions {
  /** Where the data directory goes. Must not exist yet; created by the unpack. Removed again if the archive is refused. */
  targetDir: string
  limits?: Partial<GrainArchiveLimits>
  /**
   * Called with the metadata before anything is written; throw to refuse the
   * archive (e.g. an unknown app). Nothing is then written.
   */
  accept?: (metadata: GrainArchiveMetadata) => void | Promise<void>
  /** Owner for everything written (e.g. the uid grains run as); unset: the current process. */
  owner?: { uid: number, gid: number }
}

/** Counts raw bytes and fails the stream once past `max`. */
function byteCap (max: number): Transform {
  let seen = 0
  return new Transform({
    transform (chunk: Buffer, _enc, cb) {
      seen += chunk.length
      if (seen > max) cb(tooLarge(`archive exceeds ${max} bytes`))
      else cb(null, chunk)
    },
  })
}

async function readAll (entry: AsyncIterable<unknown>, max: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of entry) {
    size += (chunk as Buffer).length
    if (size > max) throw invalid(`${METADATA_ENTRY} is larger than ${max} bytes`)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

const fileMode = (mode: number | undefined): number => ((mode ?? 0o644) & 0o755) | 0o600
const dirMode = (mode: number | undefined): number => ((mode ?? 0o755) & 0o755) | 0o700

/** A tar entry as tar-stream hands it out: its header and its body. */
export interface TarEntry extends AsyncIterable<unknown> {
  header: Header
  resume(): unknown
}

/**
 * Writes archive entries below an existing directory `root`, refusing anything
 * that could reach outside it (see the file comment). Call `entry` for each
 * entry with its path relative to `root` (already checked by
 * `dataRelativePath` or the like), then `finish`; `undo` removes every
 * top-level path it created (on refusal).
 */
export class TreeExtractor {
  private readonly written = new Map<string, 'file' | 'directory'>()
  private readonly links = new Map<string, string>()
  private readonly tops = new Set<string>()
  private total = 0
  private entries = 0

  /** `replace`: a top-level path that already exists is removed before the archive's is written (otherwise refused). */
  constructor (private readonly root: string, private readonly limits: GrainArchiveLimits, private readonly replace = false) {}

  async entry (rel: string, entry: TarEntry): Promise<void> {
    const h = entry.header
    if (++this.entries > this.limits.maxEntries) throw tooLarge(`archive has more than ${this.limits.maxEntries} entries`)
    if (rel === '') {
      if (h.type !== 'directory') throw invalid('the archive root must be a directory')
      entry.resume()
      return
    }
    switch (h.type) {
      case 'directory': {
        if (this.written.get(rel) === 'directory') { entry.resume(); return }
        const path = await this.place(rel)
        await mkdir(path, { mode: dirMode(h.mode) }).catch(async (err: NodeJS.ErrnoException) => {
          // Already made as the parent of an earlier entry: fine if it is a real directory.
          if (err.code !== 'EEXIST' || !(await lstat(path)).isDirectory()) throw invalid(`duplicate entry ${rel}`)
          await chmod(path, dirMode(h.mode))
        })
        this.written.set(rel, 'directory')
        entry.resume()
        return
      }
      case 'file':
      case 'contiguous-file': {
        this.total += h.size ?? 0
        if (this.total > this.limits.maxTotalBytes) throw tooLarge(`archive data exceeds ${this.limits.maxTotalBytes} bytes`)
        const path = await this.place(rel)
        // 'wx': O_CREAT|O_EXCL never follows a link and never overwrites.
        const out = await open(path, 'wx', fileMode(h.mode))
        try {
          for await (const chunk of entry) await out.write(chunk as Buffer)
        } finally {
          await out.close()
        }
        this.written.set(rel, 'file')
        return
      }
      case 'symlink': {
        const target = h.linkname ?? ''
        if (!symlinkTargetIsSafe(target)) throw invalid(`symlink ${rel} points outside its directory (${JSON.stringify(target)})`)
        await this.place(rel)
        this.links.set(rel, target)
        entry.resume()
        return
      }
      default:
        throw invalid(`entry ${rel} has a refused type (${h.type ?? 'unknown'})`)
    }
  }

  /** A hard link to `targetRel`, a file written earlier: made as a copy. */
  async hardLink (rel: string, targetRel: string, entry: TarEntry): Promise<void> {
    if (++this.entries > this.limits.maxEntries) throw tooLarge(`archive has more than ${this.limits.maxEntries} entries`)
    if (this.written.get(targetRel) !== 'file') throw invalid(`hard link ${rel} must point at a file earlier in the archive`)
    const path = await this.place(rel)
    await copyFile(join(this.root, ...targetRel.split('/')), path, constants.COPYFILE_EXCL)
    this.written.set(rel, 'file')
    entry.resume()
  }

  /** Creates the symlinks (last: no earlier write could go through one), then hands everything to `owner`. */
  async finish (owner?: { uid: number, gid: number }): Promise<void> {
    for (const [rel, target] of this.links) await symlink(target, join(this.root, ...rel.split('/')))
    if (owner !== undefined) for (const top of this.tops) await chownTree(join(this.root, top), owner.uid, owner.gid)
  }

  /** Removes every top-level path this extractor created. */
  async undo (): Promise<void> {
    for (const top of this.tops) await rm(join(this.root, top), { recursive: true, force: true })
  }

  private async place (rel: string): Promise<string> {
    if (isBelowAny(rel, new Set(this.links.keys()))) throw invalid(`entry ${rel} lies below a symlink`)
    if (this.written.has(rel) || this.links.has(rel)) throw invalid(`duplicate entry ${rel}`)
    const top = rel.split('/')[0] ?? rel
    if (!this.tops.has(top)) {
      // Never write into something that was there before this archive.
      const existing = await lstat(join(this.root, top)).catch(() => undefined)
      if (existing !== undefined && !this.replace) throw invalid(`${top} already exists`)
      if (existing !== undefined) await rm(join(this.root, top), { recursive: true, force: true })
      this.tops.add(top)
    }
    const path = join(this.root, ...rel.split('/'))
    await mkdir(dirname(path), { recursive: true, mode: 0o755 })
    return path
  }
}

/** Pipes `source` into a tar extractor, failing once the raw stream passes `maxBytes`. */
export function tarReader (source: Readable | AsyncIterable<Buffer>, maxBytes: number): { extract: AsyncIterable<TarEntry>, done: Promise<void>, abort: () => Promise<void> } {
  const extract = tar.extract()
  const input = Readable.from(source, { objectMode: false })
  const done = pipeline(input, byteCap(maxBytes), extract)
  done.catch(() => undefined)
  return {
    extract: extract as AsyncIterable<TarEntry>,
    done,
    async abort () {
      input.destroy()
      extract.destroy()
      await done.catch(() => undefined)
    },
  }
}

const limitsOf = (limits: Partial<GrainArchiveLimits> | undefined): GrainArchiveLimits => ({
  maxTotalBytes: limits?.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES,
  maxEntries: limits?.maxEntries ?? DEFAULT_MAX_ENTRIES,
})

/** The raw-stream cap matching some limits: data plus tar headers and padding. */
export const rawByteCap = (limits: GrainArchiveLimits): number => limits.maxTotalBytes + (limits.maxEntries + 4) * TAR_OVERHEAD_PER_ENTRY

/**
 * Reads a grain archive from `source` into `opts.targetDir` and returns its
 * metadata. Throws `GRAIN_ERR_ARCHIVE_INVALID` (400) or
 * `GRAIN_ERR_ARCHIVE_TOO_LARGE` (413), or what `accept` threw; in every failure
 * case `targetDir` is removed and nothing outside it was ever written.
 */
export async function unpackGrain (source: Readable | AsyncIterable<Buffer>, opts: UnpackOptions): Promise<GrainArchiveMetadata> {
  const limits = limitsOf(opts.limits)
  const root = opts.targetDir
  const reader = tarReader(source, rawByteCap(limits))
  const tree = new TreeExtractor(root, limits)
  let created = false
  let metadata: GrainArchiveMetadata | undefined
  try {
    for await (const entry of reader.extract) {
      const h = entry.header
      if (metadata === undefined) {
        if (h.name.replace(/^\.\//, '') !== METADATA_ENTRY || h.type !== 'file') throw invalid(`${METADATA_ENTRY} must be the first entry`)
        metadata = parseMetadata((await readAll(entry, MAX_METADATA_BYTES)).toString('utf8'))
        await opts.accept?.(metadata)
        await mkdir(dirname(root), { recursive: true })
        await mkdir(root, { recursive: false, mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
          throw err.code === 'EEXIST' ? new Error(`target ${root} already exists`) : err
        })
        created = true
        continue
      }
      const rel = dataRelativePath(h.name)
      if (h.type === 'link') await tree.hardLink(rel, dataRelativePath(h.linkname ?? ''), entry)
      else await tree.entry(rel, entry)
    }
    await reader.done
    if (metadata === undefined) throw invalid(`empty archive (no ${METADATA_ENTRY})`)
    await tree.finish()
    if (opts.owner !== undefined) await chownTree(root, opts.owner.uid, opts.owner.gid)
    return metadata
  } catch (err) {
    await reader.abort()
    if (created) await rm(root, { recursive: true, force: true })
    throw asArchiveError(err)
  }
}

/** Low-level tar parse errors become 400s; our own errors pass through. */
export function asArchiveError (err: unknown): unknown {
  if (err instanceof Error && (err as { statusCode?: number }).statusCode !== undefined) return err
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  if (code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR') return invalid(`conflicting entries (${(err as Error).message})`)
  if (err instanceof Error && /header|tar|unexpected end|invalid/i.test(err.message)) return invalid(`not a valid tar archive (${err.message})`)
  return err
}

async function chownTree (dir: string, uid: number, gid: number): Promise<void> {
  await chown(dir, uid, gid)
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    await lchown(path, uid, gid)
    if (entry.isDirectory()) await chownTree(path, uid, gid)
  }
}
