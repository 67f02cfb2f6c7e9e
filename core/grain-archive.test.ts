import { strict as assert } from 'node:assert'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { test } from 'node:test'
import tar, { type Header } from 'tar-stream'
import {
  dataRelativePath, isBelowAny, packGrain, symlinkTargetIsSafe, unpackGrain,
  type GrainArchiveMetadata,
} from './grain-archive.js'

type Entry = Partial<Header> & { name: string, body?: string | Buffer }

const META: GrainArchiveMetadata = { format: 'granary-grain', version: 1, appId: 'notes', appVersion: '1.0.0', title: 'Shopping', exportedAt: 1_700_000_000_000 }

/** A real tar stream made with tar-stream's packer, entry by entry. */
function tarOf (entries: Entry[]): Readable {
  const pack = tar.pack()
  for (const { body, ...header } of entries) {
    if (header.type === undefined || header.type === 'file') pack.entry(header, body ?? '')
    else pack.entry(header)
  }
  pack.finalize()
  return Readable.from(pack)
}
const metaEntry = (meta: unknown = META): Entry => ({ name: 'grain.json', body: JSON.stringify(meta) })

/** Every path under dir (relative), to prove a refused archive wrote nothing. */
function listTree (dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const rel = prefix + e.name
    return e.isDirectory() ? [rel + '/', ...listTree(join(dir, e.name), rel + '/')] : [rel]
  }).sort()
}

function sandbox (t: { after: (fn: () => void) => void }) {
  const root = mkdtempSync(join(tmpdir(), 'grain-archive-'))
  t.after(() => rmSync(root, { recursive: true, force: true }))
  mkdirSync(join(root, 'grains'))
  mkdirSync(join(root, 'outside'))
  writeFileSync(join(root, 'outside', 'keep.txt'), 'untouched')
  const target = join(root, 'grains', 'new')
  return { root, target }
}

async function refused (t: { after: (fn: () => void) => void }, entries: Entry[] | Readable, pattern: RegExp, status = 400, limits = {}) {
  const { root, target } = sandbox(t)
  const before = listTree(root)
  await assert.rejects(unpackGrain(Array.isArray(entries) ? tarOf(entries) : entries, { targetDir: target, limits }), (err: Error & { statusCode?: number }) => {
    assert.match(err.message, pattern)
    assert.equal(err.statusCode, status)
    return true
  })
  assert.deepEqual(listTree(root), before, 'a refused archive leaves the disk as it was')
  assert.equal(readFileSync(join(root, 'outside', 'keep.txt'), 'utf8'), 'untouched')
}

test('name checks: only data/ below the archive root, no "..", no absolute path', () => {
  assert.equal(dataRelativePath('data/a/b.txt'), 'a/b.txt')
  assert.equal(dataRelativePath('./data/a/'), 'a')
  assert.equal(dataRelativePath('data/'), '')
  assert.throws(() => dataRelativePath('/etc/passwd'), /absolute/)
  assert.throws(() => dataRelativePath('data/../x'), /\.\./)
  assert.throws(() => dataRelativePath('data/a/../../x'), /\.\./)
  assert.throws(() => dataRelativePath('other/x'), /unexpected entry/)
  assert.throws(() => dataRelativePath('data/a\0b'), /NUL/)
  assert.ok(symlinkTargetIsSafe('sub/file'))
  assert.ok(!symlinkTargetIsSafe('../x'))
  assert.ok(!symlinkTargetIsSafe('/etc'))
  assert.ok(!symlinkTargetIsSafe('a/../../b'))
  assert.ok(isBelowAny('l/x', new Set(['l'])))
  assert.ok(!isBelowAny('lx', new Set(['l'])))
})

test('export then import gives back the same files, links and metadata', async (t) => {
  const { root, target } = sandbox(t)
  const source = join(root, 'source')
  mkdirSync(join(source, 'notes', 'deep'), { recursive: true })
  writeFileSync(join(source, 'index.json'), '{"n":1}')
  writeFileSync(join(source, 'notes', 'deep', 'a.txt'), 'x'.repeat(100_000))
  writeFileSync(join(source, 'empty'), '')
  symlinkSync('notes/deep/a.txt', join(source, 'latest'))
  symlinkSync('/etc/passwd', join(source, 'escape'))
  const meta = { appId: META.appId, appVersion: META.appVersion, title: META.title, exportedAt: META.exportedAt }
  const restored = await unpackGrain(packGrain(source, meta), { targetDir: target })
  assert.deepEqual(restored, META)
  assert.deepEqual(listTree(target), ['empty', 'index.json', 'latest', 'notes/', 'notes/deep/', 'notes/deep/a.txt'])
  assert.equal(readFileSync(join(target, 'notes', 'deep', 'a.txt'), 'utf8'), 'x'.repeat(100_000))
  assert.equal(readlinkSync(join(target, 'latest')), 'notes/deep/a.txt')
  assert.equal(readFileSync(join(target, 'latest'), 'utf8').length, 100_000)
})

test('an archive made by GNU tar (with ./ names) is accepted', async (t) => {
  const { root, target } = sandbox(t)
  const src = join(root, 'src')
  mkdirSync(join(src, 'data', 'd'), { recursive: true })
  writeFileSync(join(src, 'grain.json'), JSON.stringify(META))
  writeFileSync(join(src, 'data', 'd', 'f.txt'), 'hello')
  const bytes = execFileSync('tar', ['-C', src, '-cf', '-', './grain.json', './data'])
  await unpackGrain(Readable.from([bytes]), { targetDir: target })
  assert.equal(readFileSync(join(target, 'd', 'f.txt'), 'utf8'), 'hello')
})

test('path traversal is refused and nothing is written outside', async (t) => {
  await refused(t, [metaEntry(), { name: 'data/../../outside/evil.txt', body: 'pwned' }], /\.\./)
  await refused(t, [metaEntry(), { name: '/tmp/evil.txt', body: 'pwned' }], /absolute/)
  await refused(t, [metaEntry(), { name: 'outside.txt', body: 'pwned' }], /unexpected entry/)
  await refused(t, [metaEntry(), { name: 'data/ok.txt', body: 'fine' }, { name: 'data/../grains/x', body: 'pwned' }], /\.\./)
})

test('symlinks pointing out, and writes through symlinks, are refused', async (t) => {
  await refused(t, [metaEntry(), { name: 'data/etc', type: 'symlink', linkname: '/etc' }], /points outside/)
  await refused(t, [metaEntry(), { name: 'data/up', type: 'symlink', linkname: '../../outside' }, { name: 'data/up/keep.txt', body: 'pwned' }], /points outside/)
  // A link that is harmless by itself, then an entry below it.
  await refused(t, [metaEntry(), { name: 'data/sub/', type: 'directory' }, { name: 'data/l', type: 'symlink', linkname: 'sub' }, { name: 'data/l/f', body: 'x' }], /below a symlink/)
  await refused(t, [metaEntry(), { name: 'data/pw', type: 'link', linkname: '/etc/passwd' }], /absolute/)
  await refused(t, [metaEntry(), { name: 'data/pw', type: 'link', linkname: 'data/missing' }], /hard link/)
})

test('devices, fifos and duplicate entries are refused', async (t) => {
  await refused(t, [metaEntry(), { name: 'data/null', type: 'character-device', devmajor: 1, devminor: 3 }], /refused type/)
  await refused(t, [metaEntry(), { name: 'data/p', type: 'fifo' }], /refused type/)
  await refused(t, [metaEntry(), { name: 'data/a', body: '1' }, { name: 'data/a', body: '2' }], /duplicate/)
  await refused(t, [metaEntry(), { name: 'data/a', body: '1' }, { name: 'data/a/b', body: '2' }], /conflicting|duplicate/)
})

test('oversize archives are refused with 413', async (t) => {
  await refused(t, [metaEntry(), { name: 'data/big', body: Buffer.alloc(4096) }], /exceeds 1000 bytes/, 413, { maxTotalBytes: 1000 })
  await refused(t, [metaEntry(), ...Array.from({ length: 6 }, (_, i) => ({ name: `data/f${i}`, body: 'x' }))], /more than 5 entries/, 413, { maxEntries: 5 })
  // A 10 MB entry: refused on its header, before its bytes reach the disk.
  const huge = tarOf([metaEntry(), { name: 'data/small', body: 'ok' }, { name: 'data/endless', body: Buffer.alloc(10_000_000) }])
  await refused(t, huge, /exceeds/, 413, { maxTotalBytes: 100_000 })
})

test('metadata must come first and be valid; the accept hook refuses before any write', async (t) => {
  await refused(t, [{ name: 'data/a', body: 'x' }, metaEntry()], /must be the first entry/)
  await refused(t, [{ name: 'grain.json', body: '{not json' }], /not JSON/)
  await refused(t, [metaEntry({ ...META, appId: '../evil' })], /appId/)
  await refused(t, [metaEntry({ ...META, format: 'zip' })], /format/)
  await refused(t, Readable.from([Buffer.from('this is not a tar archive at all'.repeat(40))]), /not a valid tar|first entry|invalid/)
  await refused(t, Readable.from([]), /empty archive/)

  const { root, target } = sandbox(t)
  const before = listTree(root)
  await assert.rejects(unpackGrain(tarOf([metaEntry(), { name: 'data/a', body: 'x' }]), {
    targetDir: target,
    accept: (meta) => { throw new Error(`unknown app ${meta.appId}`) },
  }), /unknown app notes/)
  assert.deepEqual(listTree(root), before)
  assert.equal(existsSync(target), false)
})

test('an existing target directory is never overwritten', async (t) => {
  const { target } = sandbox(t)
  mkdirSync(target)
  writeFileSync(join(target, 'precious'), 'keep')
  await assert.rejects(unpackGrain(tarOf([metaEntry(), { name: 'data/precious', body: 'overwritten' }]), { targetDir: target }), /already exists/)
  assert.equal(readFileSync(join(target, 'precious'), 'utf8'), 'keep')
})
