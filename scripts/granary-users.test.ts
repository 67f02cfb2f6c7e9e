/**
 * `granary user ...` against a real Redis, with proxies on the same keys to
 * prove what the commands did: accounts made on the command line log in
 * through the proxy's password check; a password reset or disabling ends
 * every shell session and API token, and grain sessions that proxies cached
 * are gone on every proxy when the command returns, as with the admin API;
 * every change is in the audit log as done by the command
 * line; bad input is refused with one clear line and the right exit status.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { test, type TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { staticAppDirectory } from '../proxy/apps.js'
import { send } from '../proxy/test-support/grain-upstream.js'
import { DEMO_APP, grainWorld, openGrain, share } from '../proxy/test-support/grain-world.js'
import { ADMIN_PASSWORD, login, sameOrigin, testProxy } from '../proxy/test-support/proxy.js'
import { cliRunner } from '../test/support/cli.js'
import { readHiddenLine } from './cli.js'
import { testRedisUrl, uniquePrefix } from '../test/support/env.js'

interface AuditView { action: string, actor: string, actorName: string, subjectName?: string }

/** A proxy and the command line on the same Redis keys, and a directory for password files. */
async function setup (t: TestContext) {
  const prefix = uniquePrefix()
  const proxy = await testProxy(t, { redisKeyPrefix: prefix })
  const dir = mkdtempSync(join(tmpdir(), 'granary-cli-users-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  let files = 0
  const passwordFile = (text: string): string => {
    const file = join(dir, `password-${++files}`)
    writeFileSync(file, text, { mode: 0o600 })
    return file
  }
  const cli = cliRunner({ REDIS_URL: testRedisUrl(), GRANARY_DATA_DIR: dir }, prefix)
  return { proxy, prefix, passwordFile, ...cli }
}

const me = async (proxy: FastifyInstance, headers: Record<string, string>): Promise<number> => (await proxy.inject({ url: '/api/me', headers })).statusCode

async function auditEvents (proxy: FastifyInstance): Promise<AuditView[]> {
  const admin = await login(proxy, 'admin', ADMIN_PASSWORD)
  return (await proxy.inject({ url: '/api/admin/audit', headers: { cookie: admin } })).json().events as AuditView[]
}

test('granary user create: the proxy logs the user in with that password; user list shows every account', async (t) => {
  const { proxy, passwordFile, run } = await setup(t)
  const created = await run('user', 'create', 'Bob', '--display-name', 'Bob Builder', '--role', 'packager', '--password-file', passwordFile('first password 1\n'))
  assert.deepEqual(created, { code: 0, out: 'created bob (packager, Bob Builder)', err: '' })
  const bob = await login(proxy, 'bob', 'first password 1')
  const answer = (await proxy.inject({ url: '/api/me', headers: { cookie: bob } })).json()
  assert.deepEqual([answer.user.username, answer.user.displayName, answer.user.role], ['bob', 'Bob Builder', 'packager'])

  const noPassword = await run('user', 'create', 'carol')
  assert.equal(noPassword.code, 0, noPassword.err)
  assert.equal(noPassword.err, 'note: carol has no password, so they cannot log in with one until it is set: granary user password carol --password-stdin')
  await assert.rejects(login(proxy, 'carol', 'any password 1'), /401/)

  assert.deepEqual(await run('user', 'create', 'BOB'), { code: 1, out: '', err: 'granary: username "bob" is taken' })

  const list = await run('user', 'list')
  assert.equal(list.code, 0, list.err)
  const rows = list.out.split('\n').map((line) => line.split(/\s{2,}/))
  assert.deepEqual(rows.map((r) => [r[0], r[1], r[2], r[3], r[5]]), [
    ['USERNAME', 'ROLE', 'STATE', 'PASSWORD', 'DISPLAY NAME'],
    ['admin', 'admin', 'active', 'set', 'Administrator'],
    ['bob', 'packager', 'active', 'set', 'Bob Builder'],
    ['carol', 'user', 'active', 'none', 'carol'],
  ])
  assert.match(rows[2]![4]!, /^\d{4}-\d\d-\d\d \d\d:\d\d$/)

  const events = (await auditEvents(proxy)).filter((e) => e.action === 'user-create')
  assert.deepEqual(events.map((e) => [e.actor, e.actorName, e.subjectName]), [['cli', 'command line', 'carol'], ['cli', 'command line', 'Bob Builder']], 'recorded as done on the command line')
})

test('granary user password ends every shell session and API token of the user', async (t) => {
  const { proxy, passwordFile, run, runWith } = await setup(t)
  assert.equal((await runWith({ stdin: Readable.from(['old password 1\n']) }, 'user', 'create', 'bob', '--password-stdin')).code, 0)
  const bob = (await proxy.services.users.byUsername('bob'))!
  const cookie = await login(proxy, 'bob', 'old password 1')
  const bearer = `Bearer ${await proxy.services.apiTokens.create(bob.id, 'script')}`
  assert.deepEqual([await me(proxy, { cookie }), await me(proxy, { authorization: bearer })], [200, 200])

  const reset = await run('user', 'password', 'bob', '--password-file', passwordFile('new password 2'))
  assert.deepEqual(reset, { code: 0, out: 'set the password of bob; their sessions and API tokens have ended', err: '' })
  assert.deepEqual([await me(proxy, { cookie }), await me(proxy, { authorization: bearer })], [401, 401], 'the session and the API token ended')
  await assert.rejects(login(proxy, 'bob', 'old password 1'), /401/)
  await login(proxy, 'bob', 'new password 2')

  const [event] = await auditEvents(proxy).then((events) => events.filter((e) => e.action === 'user-password'))
  assert.deepEqual([event?.actorName, event?.subjectName], ['command line', 'bob'])
})

test('granary user disable ends sessions and refuses logins; enable lets the user in again', async (t) => {
  const { proxy, passwordFile, run } = await setup(t)
  assert.equal((await run('user', 'create', 'dave', '--password-file', passwordFile('dave password 1\r\n'))).code, 0)
  const cookie = await login(proxy, 'dave', 'dave password 1')

  assert.deepEqual(await run('user', 'disable', 'Dave'), { code: 0, out: 'disabled dave; their sessions and API tokens have ended', err: '' })
  assert.equal(await me(proxy, { cookie }), 401)
  await assert.rejects(login(proxy, 'dave', 'dave password 1'), /401/)
  assert.match((await run('user', 'list')).out, /^dave\s+user\s+disabled\s+set/m)

  assert.deepEqual(await run('user', 'enable', 'dave'), { code: 0, out: 'enabled dave', err: '' })
  await login(proxy, 'dave', 'dave password 1')
  const said = (await auditEvents(proxy)).filter((e) => e.action.startsWith('user-')).map((e) => [e.action, e.actorName])
  assert.deepEqual(said.slice(0, 3), [['user-enable', 'command line'], ['user-disable', 'command line'], ['user-create', 'command line']])
})

test('granary user refuses passwords as arguments, unknown users and bad input, with one clear line', async (t) => {
  const { proxy, passwordFile, run, runWith } = await setup(t)
  const file = passwordFile('good password 1\n')
  const usage = async (argv: string[], message: string) => {
    const res = await run(...argv)
    assert.equal(res.code, 2, argv.join(' '))
    assert.equal(res.err.split('\n')[0], `granary: ${message}`, argv.join(' '))
    assert.match(res.err, /\nusage:\n/)
  }
  const argument = 'a password is never taken as an argument (`ps` shows arguments to everyone on the machine): use --password-file FILE or --password-stdin'
  await usage(['user', 'create', 'erin', '--password', 'secret password'], argument)
  await usage(['user', 'password', 'admin', '--password=secret password'], argument)
  await usage(['user', 'create', 'erin', '--role', 'root'], '--role is one of user, admin, packager')
  await usage(['user', 'password', 'admin'], 'user password needs --password-file FILE or --password-stdin')
  await usage(['user', 'password', 'admin', '--password-file', file, '--password-stdin'], 'give either --password-file or --password-stdin, not both')
  await usage(['user', 'create'], 'user create takes one username')
  await usage(['user', 'frobnicate'], 'unknown command user frobnicate')

  const refused = async (argv: string[], message: string, io = {}) => {
    const res = await runWith(io, ...argv)
    assert.deepEqual([res.code, res.out, res.err], [1, '', `granary: ${message}`], argv.join(' '))
  }
  await refused(['user', 'password', 'nobody', '--password-file', file], 'user nobody not found (USER_ERR_NOT_FOUND)')
  await refused(['user', 'disable', 'nobody'], 'user nobody not found (USER_ERR_NOT_FOUND)')
  await refused(['user', 'create', 'erin', '--password-file', passwordFile('short\n')], 'a password needs 8 to 1024 characters (AUTH_ERR_WEAK_PASSWORD)')
  await refused(['user', 'create', 'erin', '--password-file', passwordFile('two\nlines here\n')], `${join(file, '..', 'password-3')} holds more than one line: put the password alone in it`)
  await refused(['user', 'create', 'erin', '--password-file', join(file, '..', 'missing')], `cannot read ${join(file, '..', 'missing')}: ENOENT: no such file or directory, open '${join(file, '..', 'missing')}'`)
  await refused(['user', 'create', 'Not A Name'], 'username must be 1-63 of a-z, 0-9, "_", "." or "-", starting with a letter or digit')
  assert.equal(await proxy.services.users.byUsername('erin'), undefined, 'no refused create left an account behind')
  await refused(['user', 'list'], 'cannot connect to Redis at redis+unix:///nonexistent/redis.sock: connect ENOENT /nonexistent/redis.sock', { env: { REDIS_URL: 'redis+unix:///nonexistent/redis.sock' } })

  // On a terminal the password is asked for twice, without being shown.
  const terminal = (answers: string[]) => ({ stdin: Object.assign(Readable.from([]), { isTTY: true }), readSecret: async () => answers.shift() ?? '' })
  await refused(['user', 'create', 'erin', '--password-stdin'], 'the two passwords differ; nothing changed', terminal(['first password', 'other password']))
  assert.equal((await runWith(terminal(['typed password', 'typed password']), 'user', 'create', 'erin', '--password-stdin')).code, 0)
  await login(proxy, 'erin', 'typed password')
})

test('granary user password and disable end grain sessions that proxies cached, before the command returns', async (t) => {
  const w = await grainWorld(t)
  await share(w.app, w.alice, w.grainId, 'bob', { role: 'viewer' })
  const second = await testProxy(t, { redisKeyPrefix: w.prefix, controlPlane: w.cp, apps: staticAppDirectory([DEMO_APP]) })
  const { run, runWith } = cliRunner({ REDIS_URL: testRedisUrl() }, w.prefix)
  const visits = async (cookie: string) => [
    (await send(w.port, { headers: { host: w.grainHost, cookie } })).status,
    (await second.inject({ url: '/', headers: { host: w.grainHost, cookie } })).statusCode,
  ]

  const before = await openGrain(w.app, w.bob, w.grainId)
  assert.deepEqual(await visits(before), [200, 200], 'both proxies serve the grain session (and cache it)')
  assert.equal((await runWith({ stdin: Readable.from(['bob new password 1']) }, 'user', 'password', 'bob', '--password-stdin')).code, 0)
  assert.deepEqual(await visits(before), [403, 403], 'both proxies dropped it before the command returned')

  const again = await openGrain(w.app, await login(w.app, 'bob', 'bob new password 1'), w.grainId)
  assert.deepEqual(await visits(again), [200, 200])
  assert.equal((await run('user', 'disable', 'bob')).code, 0)
  assert.deepEqual(await visits(again), [403, 403])
})

test('granary user password admin retires a setup link nobody used', async (t) => {
  const prefix = uniquePrefix()
  const proxy = await testProxy(t, { redisKeyPrefix: prefix, env: { ADMIN_PASSWORD: '' } })
  const token = proxy.setupToken
  assert.ok(token !== undefined)
  const { code } = await cliRunner({ REDIS_URL: testRedisUrl() }, prefix).runWith({ stdin: Readable.from(['lost the link 1\n']) }, 'user', 'password', 'admin', '--password-stdin')
  assert.equal(code, 0)
  const late = await proxy.inject({ method: 'POST', url: '/api/setup', headers: sameOrigin, payload: { token, password: 'someone else 1' } })
  assert.equal(late.statusCode, 403, 'the old link cannot replace the password the admin set')
  await login(proxy, 'admin', 'lost the link 1')
})

test('a password typed on a terminal is read in raw mode, shown nowhere, and can be cancelled', async () => {
  const terminal = () => {
    const modes: boolean[] = []
    const input = Object.assign(new PassThrough(), { setRawMode: (raw: boolean) => modes.push(raw) })
    const shown: string[] = []
    return { input, modes, shown, write: (text: string) => { shown.push(text) } }
  }
  const typed = terminal()
  const line = readHiddenLine(typed.input, typed.write, 'password: ')
  typed.input.write('secret\u007fT pass')
  typed.input.write('word\rignored')
  assert.equal(await line, 'secreT password', 'backspace removes a character; Enter ends the line')
  assert.deepEqual([typed.modes, typed.shown], [[true, false], ['password: ', '\n']], 'raw mode on, then off again; nothing typed was shown')

  const cancelled = terminal()
  const never = readHiddenLine(cancelled.input, cancelled.write, 'password: ')
  cancelled.input.write('abc\u0003')
  await assert.rejects(never, /^Error: cancelled$/)
  assert.deepEqual(cancelled.modes, [true, false])
})
