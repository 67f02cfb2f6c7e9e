import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import YAML from 'yaml'
import { saveImageAs } from '../test/support/app-images.js'
import { cliInstallation } from '../test/support/cli.js'
import { removeTestResources } from '../test/support/docker.js'
import { testRunId } from '../test/support/env.js'
import { runCli } from './granary.js'

const SECRET = 'c'.repeat(64)

function manifestFile (dir: string, name: string, patch: Record<string, unknown>): string {
  const file = join(dir, name)
  const serialise = name.endsWith('.json') ? (v: unknown) => JSON.stringify(v, null, 2) : (v: unknown) => YAML.stringify(v)
  writeFileSync(file, serialise({ ...YAML.parse(`id: cli-notes\nname: CLI notes\nversion: 1.0.0\nimage: x\nport: 8000\ndataPath: /data\npermissions: [{id: read, title: Read}]\nroles: [{id: viewer, title: Viewer, permissions: [read], default: true}]\nactions: [{id: new, title: New}]\n`), ...patch }))
  return file
}

test('granary app publish/list/remove against a running control plane', async (t) => {
  const runId = testRunId()
  t.after(() => removeTestResources(runId))
  const { dataDir, run } = await cliInstallation(t)
  const image = await saveImageAs(t, 'granary/notes:local', runId, 'cli-notes', '1.0.0')

  const published = await run('app', 'publish', manifestFile(dataDir, 'm.yaml', { image: image.ref }), '--image', image.tarPath)
  assert.equal(published.code, 0, published.err)
  assert.match(published.out, /^published cli-notes 1\.0\.0 \(image sha256:[0-9a-f]{12}\); versions: 1\.0\.0$/)
  assert.match(published.err, /uploaded \d+\.\d MiB in [\d.]+ s; loading it into the engine/)

  const bumped = await run('app', 'publish', manifestFile(dataDir, 'm2.json', { version: '1.1.0', image: 'granary/board:local' }), '--image-name', 'granary/board:local')
  assert.equal(bumped.code, 0, bumped.err)
  const list = await run('app', 'list')
  assert.match(list.out, /^cli-notes\s+1\.1\.0\s+CLI notes \(versions: 1\.0\.0, 1\.1\.0; image sha256:/)

  const older = await run('app', 'publish', manifestFile(dataDir, 'm3.yaml', { image: image.ref }), '--image', image.tarPath)
  assert.deepEqual([older.code, older.err.split('\n').at(-1)], [1, 'granary: app cli-notes: version 1.0.0 is not newer than the current version 1.1.0 (APP_ERR_NOT_NEWER)'])
  assert.doesNotMatch(older.err, /uploaded/, 'refused before the upload finished')

  assert.deepEqual(await run('app', 'remove', 'cli-notes'), { code: 0, out: 'removed cli-notes', err: '' })
  assert.deepEqual(await run('app', 'list'), { code: 0, out: 'no apps', err: '' })
  assert.deepEqual(await run('app', 'remove', 'cli-notes'), { code: 1, out: '', err: 'granary: app cli-notes not found (APP_ERR_NOT_FOUND)' })
})

test('granary refuses an invalid manifest locally, listing every problem, before uploading', async (t) => {
  const { dataDir, run } = await cliInstallation(t)
  const res = await run('app', 'publish', manifestFile(dataDir, 'bad.yaml', { version: 'one', port: 99999, extra: true }), '--image', '/nonexistent.tar')
  assert.equal(res.code, 1)
  assert.equal(res.err, `granary: ${join(dataDir, 'bad.yaml')} is not a valid manifest:\n  extra: unknown field\n  port: expected integer to be less or equal to 65535 (grains run as an unprivileged user, so 1024-65535)\n  version: "one" is not a semantic version (e.g. 1.2.0)`)
  const noTar = await run('app', 'publish', manifestFile(dataDir, 'ok.yaml', {}), '--image', join(dataDir, 'missing.tar'))
  assert.match(noTar.err, /^granary: cannot read .*missing\.tar: ENOENT/)
})

test('granary explains wrong usage and a missing installation', async (t) => {
  const { run } = await cliInstallation(t)
  for (const argv of [[], ['app'], ['app', 'frobnicate'], ['grain'], ['grain', 'frobnicate'], ['grain', 'list', 'x'], ['grain', 'stop'], ['grain', 'export', 'a', 'b'], ['grain', 'import', '--in', 'x.tar'], ['user'], ['user', 'create'], ['user', 'list', '--all'], ['user', 'enable', 'a', 'b'], ['app', 'publish'], ['app', 'publish', 'm.yaml'], ['app', 'publish', 'm.yaml', '--image', 'a.tar', '--image-name', 'x'], ['app', 'remove'], ['app', 'list', '--verbose'], ['app', 'publish', 'm.yaml', '--image']]) {
    const res = await run(...argv)
    assert.equal(res.code, 2, argv.join(' '))
    assert.match(res.err, /^granary: .+\nusage:/, argv.join(' '))
  }
  const empty = mkdtempSync(join(tmpdir(), 'granary-cli-empty-'))
  t.after(() => rmSync(empty, { recursive: true, force: true }))
  const lines: string[] = []
  const code = await runCli(['app', 'list'], { env: { GRANARY_DATA_DIR: empty }, out: () => undefined, err: (l) => lines.push(l) })
  assert.equal(code, 1)
  assert.match(lines.join('\n'), /cannot read the control plane secret .*control-plane\.secret: is Granary set up with GRANARY_DATA_DIR=/)
  writeFileSync(join(empty, 'control-plane.secret'), SECRET)
  const unreachable: string[] = []
  assert.equal(await runCli(['app', 'list'], { env: { GRANARY_DATA_DIR: empty }, out: () => undefined, err: (l) => unreachable.push(l) }), 1)
  assert.match(unreachable.join('\n'), /cannot reach the control plane at .*control-plane\.sock: connect ENOENT/)
})
