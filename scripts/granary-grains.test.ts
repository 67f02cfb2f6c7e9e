/**
 * `granary grain ...` against a real control plane on its socket, real Redis
 * and real grain containers (the `hello` fixture, which counts its requests
 * in its data directory): the list shows each grain's run state as the
 * control plane knows it; stop stops the container and is in the audit log;
 * export then import makes a new grain of the given owner with the same
 * title and data; bad input is refused with one clear line.
 */
import assert from 'node:assert/strict'
import { createReadStream, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { test } from 'node:test'
import { redisAuditLog } from '../core/audit.js'
import { redisGrainRecordStore } from '../core/grain-records.js'
import { dataPaths } from '../core/paths.js'
import { redisUserStore } from '../core/users.js'
import { cliInstallation, type CliInstallation } from '../test/support/cli.js'
import { getJson } from '../test/support/grains.js'

/** Makes accounts on the command line; answers their ids. */
async function accounts (cli: CliInstallation, ...usernames: string[]): Promise<string[]> {
  const users = redisUserStore(cli.cp.app.redis)
  return Promise.all(usernames.map(async (username) => {
    const res = await cli.run('user', 'create', username)
    assert.equal(res.code, 0, res.err)
    return (await users.byUsername(username))!.id
  }))
}

async function newGrain (cli: CliInstallation, owner: string, title: string): Promise<string> {
  const res = await cli.cp.call('POST', '/grains', { appId: 'hello', title, owner })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.id as string
}

/** Starts the grain and sends it one request; answers its request count (kept in its data directory). */
async function visit (cli: CliInstallation, grainId: string): Promise<number> {
  const wake = await cli.cp.call('POST', `/grains/${grainId}/wake`)
  assert.equal(wake.status, 200, JSON.stringify(wake.body))
  return (await getJson(wake.body, '/')).body.count as number
}

const stateOf = async (cli: CliInstallation, grainId: string): Promise<string> => (await cli.cp.call('GET', `/grains/${grainId}/state`)).body.state as string

/** `grain list` as rows of cells (the header first). */
const rowsOf = (out: string): string[][] => out.split('\n').map((line) => line.split(/\s{2,}/))

test('granary grain list shows each grain with its owner and run state; grain stop stops one, recorded as the command line', async (t) => {
  const cli = await cliInstallation(t)
  const [aliceId] = await accounts(cli, 'alice')
  const idle = await newGrain(cli, aliceId!, 'Idle notes')
  const busy = await newGrain(cli, aliceId!, 'Busy \u001b[31mnotes')
  assert.equal(await visit(cli, busy), 1)

  const listed = await cli.run('grain', 'list')
  assert.equal(listed.code, 0, listed.err)
  const rows = rowsOf(listed.out)
  assert.deepEqual(rows.map((r) => r.slice(0, 5)), [
    ['ID', 'TITLE', 'APP', 'OWNER', 'STATE'],
    [busy, 'Busy ?[31mnotes', 'hello@1.0.0', 'alice', 'running'],
    [idle, 'Idle notes', 'hello@1.0.0', 'alice', 'stopped'],
  ], 'the running grain first; a control character in a title never reaches the terminal')
  assert.match(rows[1]![5]!, /^\d{4}-\d\d-\d\d \d\d:\d\d$/, 'last used')

  assert.deepEqual(await cli.run('grain', 'stop', busy), { code: 0, out: `stopped ${busy} ("Busy ?[31mnotes"); it starts again on its next request`, err: '' })
  assert.equal(await stateOf(cli, busy), 'stopped', 'the control plane stopped it')
  assert.deepEqual(rowsOf((await cli.run('grain', 'list')).out).map((r) => r[4]), ['STATE', 'stopped', 'stopped'])
  const [event] = await redisAuditLog(cli.cp.app.redis).page(1)
  assert.deepEqual([event?.action, event?.actor, event?.grainId], ['grain-stop', 'cli', busy])

  assert.deepEqual(await cli.run('grain', 'stop', 'abcdefghijklmnopqrst'), { code: 1, out: '', err: 'granary: grain abcdefghijklmnopqrst not found (GRAIN_ERR_NOT_FOUND)' })
})

test('granary grain export then import: a new grain of the given owner with the same title and data', async (t) => {
  const cli = await cliInstallation(t)
  const [aliceId, bobId] = await accounts(cli, 'alice', 'bob')
  const original = await newGrain(cli, aliceId!, 'Shopping list')
  assert.equal(await visit(cli, original), 1)
  const grainsDir = dataPaths(cli.dataDir).grains
  writeFileSync(join(grainsDir, original, 'note.txt'), 'milk, bread')

  const file = join(cli.dataDir, 'shopping.tar')
  const exported = await cli.run('grain', 'export', original, '--out', file)
  assert.equal(exported.code, 0, exported.err)
  assert.equal(exported.out, '')
  assert.match(exported.err, /^exported "Shopping list" \(hello@1\.0\.0, [\d.]+ (bytes|KiB|MiB)\) in [\d.]+ s to .*shopping\.tar; the grain was stopped for it and starts again on its next request$/)
  assert.equal(await stateOf(cli, original), 'stopped', 'stopped so its files are settled')

  const imported = await cli.run('grain', 'import', '--in', file, '--owner', 'bob')
  assert.equal(imported.code, 0, imported.err)
  const copy = imported.out
  assert.match(copy, /^[a-z2-7]{20}$/, 'the new grain id, alone on standard output')
  assert.notEqual(copy, original)
  assert.match(imported.err, new RegExp(`^imported "Shopping list" \\(hello@1\\.0\\.0, [\\d.]+ (bytes|KiB|MiB)\\) in [\\d.]+ s as grain ${copy}, owned by bob$`))
  const record = await redisGrainRecordStore(cli.cp.app.redis).get(copy)
  assert.deepEqual([record?.owner, record?.title, record?.appId, record?.appVersion], [bobId, 'Shopping list', 'hello', '1.0.0'])
  assert.equal(readFileSync(join(grainsDir, copy, 'note.txt'), 'utf8'), 'milk, bread')
  assert.equal(await visit(cli, copy), 2, 'the copy runs on the same data: its count goes on from the original\'s')
  const logged = (await redisAuditLog(cli.cp.app.redis).page(10)).filter((e) => e.action.startsWith('grain-'))
  assert.deepEqual(logged.map((e) => [e.action, e.actor, e.grainId, e.details.owner]),
    [['grain-import', 'cli', copy, bobId], ['grain-export', 'cli', original, undefined]], 'both are audited as the command line')

  // Standard output and input work as well, when they are not terminals.
  const stdout = new PassThrough()
  const chunks: Buffer[] = []
  stdout.on('data', (c: Buffer) => chunks.push(c))
  assert.equal((await cli.runWith({ stdout }, 'grain', 'export', copy)).code, 0)
  const tar = Buffer.concat(chunks)
  assert.ok(tar.includes('grain.json') && tar.includes('milk, bread'), 'the archive went to standard output')
  writeFileSync(file, tar)
  const piped = await cli.runWith({ stdin: createReadStream(file) }, 'grain', 'import', '--owner', 'alice', '--title', 'Copy of a copy')
  assert.equal(piped.code, 0, piped.err)
  const again = await redisGrainRecordStore(cli.cp.app.redis).get(piped.out)
  assert.deepEqual([again?.owner, again?.title], [aliceId, 'Copy of a copy'])
})

test('granary grain refuses unknown grains and owners, terminals and bad archives, with one clear line', async (t) => {
  const cli = await cliInstallation(t)
  const [aliceId] = await accounts(cli, 'alice')
  const grain = await newGrain(cli, aliceId!, 'Notes')
  const file = join(cli.dataDir, 'notes.tar')
  const terminal = Object.assign(new PassThrough(), { isTTY: true })

  const usage = async (argv: string[], message: string, io = {}) => {
    const res = await cli.runWith(io, ...argv)
    assert.equal(res.code, 2, argv.join(' '))
    assert.equal(res.err.split('\n')[0], `granary: ${message}`, argv.join(' '))
  }
  await usage(['grain', 'export', grain], 'grain export writes a tar: give --out FILE, or redirect standard output to a file', { stdout: terminal })
  await usage(['grain', 'import', '--owner', 'alice'], 'grain import reads a tar: give --in FILE, or redirect standard input from a file', { stdin: terminal })
  await usage(['grain', 'import', '--in', file], 'grain import needs --owner <username>: the user the new grain belongs to')
  await usage(['grain', 'stop'], 'grain stop takes one grain id')

  const refused = async (argv: string[], message: string | RegExp, io = {}) => {
    const res = await cli.runWith(io, ...argv)
    assert.equal(res.code, 1, argv.join(' '))
    assert.equal(res.out, '', argv.join(' '))
    if (typeof message === 'string') assert.equal(res.err, `granary: ${message}`, argv.join(' '))
    else assert.match(res.err, message, argv.join(' '))
  }
  await refused(['grain', 'export', 'abcdefghijklmnopqrst', '--out', file], 'grain abcdefghijklmnopqrst not found (GRAIN_ERR_NOT_FOUND)')
  assert.equal(existsSync(file), false, 'no file for a refused export')
  assert.equal((await cli.run('grain', 'export', grain, '--out', file)).code, 0)
  await refused(['grain', 'import', '--in', file, '--owner', 'nobody'], 'user nobody not found (USER_ERR_NOT_FOUND)')
  writeFileSync(join(cli.dataDir, 'not.tar'), 'this is no archive')
  await refused(['grain', 'import', '--in', join(cli.dataDir, 'not.tar'), '--owner', 'alice'], /^granary: refused grain archive: .+ \(GRAIN_ERR_ARCHIVE_INVALID\)$/)
  await refused(['grain', 'list'], /^granary: control plane unreachable: connect ENOENT .*nowhere\.sock$/, { env: { ...cli.env, CONTROL_PLANE_SOCKET: join(cli.dataDir, 'nowhere.sock') } })
  assert.deepEqual((await redisGrainRecordStore(cli.cp.app.redis).listAll()).map((g) => g.id), [grain], 'no refused import left a grain behind')
})
