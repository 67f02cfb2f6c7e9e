import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SHELL_COOKIE } from '../http/cookies.js'
import { ADMIN_PASSWORD, createUser, login, sameOrigin, testProxy } from '../test-support/proxy.js'
import { hashPassword, verifyPassword } from './passwords.js'

test('passwords are stored as salted scrypt with their parameters', async () => {
  const a = await hashPassword('hunter22hunter22')
  const b = await hashPassword('hunter22hunter22')
  assert.match(a, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/)
  assert.notEqual(a, b, 'salted')
  assert.equal(await verifyPassword('hunter22hunter22', a), true)
  assert.equal(await verifyPassword('hunter22hunter23', a), false)
  assert.equal(await verifyPassword('x', 'md5$abc'), false)
})

test('login sets a host-only Secure HttpOnly SameSite=Lax cookie with a fresh 256-bit id; /api/me then answers', async (t) => {
  const app = await testProxy(t)
  const res = await app.inject({ method: 'POST', url: '/api/session', headers: sameOrigin, payload: { username: 'admin', password: ADMIN_PASSWORD } })
  assert.equal(res.statusCode, 200)
  const raw = String(res.headers['set-cookie'])
  assert.match(raw, /^__Host-granary-session=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Lax/)
  assert.doesNotMatch(raw, /Domain=/i)
  const cookie = raw.split(';')[0]!
  const me = await app.inject({ url: '/api/me', headers: { cookie } })
  assert.equal(me.statusCode, 200)
  assert.equal(me.json().user.username, 'admin')
  assert.equal(me.json().user.role, 'admin')
  const again = await login(app, 'admin', ADMIN_PASSWORD)
  assert.notEqual(again, cookie, 'every login gets a new id')
})

test('wrong user and wrong password get the same answer; /api/me without a session is 401', async (t) => {
  const app = await testProxy(t)
  const wrongPassword = await app.inject({ method: 'POST', url: '/api/session', headers: sameOrigin, payload: { username: 'admin', password: 'nope-nope-nope' } })
  const wrongUser = await app.inject({ method: 'POST', url: '/api/session', headers: sameOrigin, payload: { username: 'nobody', password: 'nope-nope-nope' } })
  assert.equal(wrongPassword.statusCode, 401)
  assert.deepEqual(wrongPassword.json(), wrongUser.json())
  assert.deepEqual(wrongUser.json(), { error: { code: 'AUTH_ERR_BAD_LOGIN', message: 'wrong username or password' } })
  assert.equal((await app.inject({ url: '/api/me' })).statusCode, 401)
})

test('forged, unknown or malformed session cookies are refused', async (t) => {
  const app = await testProxy(t)
  const cookie = await login(app, 'admin', ADMIN_PASSWORD)
  const value = cookie.split('=')[1]!
  const forged = [
    `${SHELL_COOKIE}=${'A'.repeat(43)}`,
    `${SHELL_COOKIE}=${value.slice(0, -1)}${value.endsWith('A') ? 'B' : 'A'}`,
    `${SHELL_COOKIE}=`,
    `${SHELL_COOKIE}=${'x'.repeat(5000)}`,
    `granary-session=${value}`,
    `${SHELL_COOKIE}=${encodeURIComponent("' OR 1=1 --")}`,
  ]
  for (const c of forged) {
    const res = await app.inject({ url: '/api/me', headers: { cookie: c } })
    assert.equal(res.statusCode, 401, c)
  }
})

test('logout ends the session server-side: the old cookie no longer works', async (t) => {
  const app = await testProxy(t)
  const cookie = await login(app, 'admin', ADMIN_PASSWORD)
  const out = await app.inject({ method: 'DELETE', url: '/api/session', headers: { ...sameOrigin, cookie } })
  assert.equal(out.statusCode, 204)
  assert.match(String(out.headers['set-cookie']), /Max-Age=0/)
  assert.equal((await app.inject({ url: '/api/me', headers: { cookie } })).statusCode, 401)
})

test('sessions expire when idle and at their absolute age', async (t) => {
  // Generous margins: the test machine is shared and often loaded.
  const idle = await testProxy(t, { sessionTimes: { idleMs: 1200, maxAgeMs: 60_000 } })
  const c1 = await login(idle, 'admin', ADMIN_PASSWORD)
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 500))
    assert.equal((await idle.inject({ url: '/api/me', headers: { cookie: c1 } })).statusCode, 200, 'use renews the idle expiry')
  }
  await new Promise((resolve) => setTimeout(resolve, 1500))
  assert.equal((await idle.inject({ url: '/api/me', headers: { cookie: c1 } })).statusCode, 401, 'idle too long')

  const absolute = await testProxy(t, { sessionTimes: { idleMs: 60_000, maxAgeMs: 1500 } })
  const c2 = await login(absolute, 'admin', ADMIN_PASSWORD)
  assert.equal((await absolute.inject({ url: '/api/me', headers: { cookie: c2 } })).statusCode, 200)
  for (let i = 0; i < 4; i++) {
    await new Promise((resolve) => setTimeout(resolve, 400))
    await absolute.inject({ url: '/api/me', headers: { cookie: c2 } })
  }
  assert.equal((await absolute.inject({ url: '/api/me', headers: { cookie: c2 } })).statusCode, 401, 'used all along, but past its absolute age')
})

test('disabling a user or resetting their password ends all their sessions; a disabled user cannot log in', async (t) => {
  const app = await testProxy(t)
  const admin = await login(app, 'admin', ADMIN_PASSWORD)
  const bobId = await createUser(app, admin, 'bob')
  const bob1 = await login(app, 'bob', 'bob-password-123')
  const bob2 = await login(app, 'bob', 'bob-password-123')
  const reset = await app.inject({ method: 'POST', url: `/api/admin/users/${bobId}/password`, headers: { ...sameOrigin, cookie: admin }, payload: { password: 'new-bob-password' } })
  assert.equal(reset.statusCode, 200)
  for (const c of [bob1, bob2]) assert.equal((await app.inject({ url: '/api/me', headers: { cookie: c } })).statusCode, 401)
  await assert.rejects(login(app, 'bob', 'bob-password-123'))
  const bob3 = await login(app, 'bob', 'new-bob-password')

  const disable = await app.inject({ method: 'POST', url: `/api/admin/users/${bobId}/disable`, headers: { ...sameOrigin, cookie: admin } })
  assert.equal(disable.json().user.disabled, true)
  assert.equal((await app.inject({ url: '/api/me', headers: { cookie: bob3 } })).statusCode, 401)
  await assert.rejects(login(app, 'bob', 'new-bob-password'), /401/)
  await app.inject({ method: 'POST', url: `/api/admin/users/${bobId}/enable`, headers: { ...sameOrigin, cookie: admin } })
  await login(app, 'bob', 'new-bob-password')
})

test('only admins manage accounts', async (t) => {
  const app = await testProxy(t)
  const admin = await login(app, 'admin', ADMIN_PASSWORD)
  await createUser(app, admin, 'carol')
  const carol = await login(app, 'carol', 'carol-password-123')
  assert.equal((await app.inject({ url: '/api/admin/users', headers: { cookie: carol } })).statusCode, 403)
  assert.equal((await app.inject({ method: 'POST', url: '/api/admin/users', headers: { ...sameOrigin, cookie: carol }, payload: { username: 'eve' } })).statusCode, 403)
  const list = await app.inject({ url: '/api/admin/users', headers: { cookie: admin } })
  assert.deepEqual(list.json().users.map((u: { username: string }) => u.username), ['admin', 'carol'])
  const dup = await app.inject({ method: 'POST', url: '/api/admin/users', headers: { ...sameOrigin, cookie: admin }, payload: { username: 'Carol' } })
  assert.equal(dup.statusCode, 409)
})

test('failed logins lock the account (429, distinct message) while other accounts still log in', async (t) => {
  const app = await testProxy(t)
  const admin = await login(app, 'admin', ADMIN_PASSWORD)
  await createUser(app, admin, 'dave')
  for (let i = 0; i < 10; i++) {
    const res = await app.inject({ method: 'POST', url: '/api/session', headers: sameOrigin, payload: { username: 'dave', password: `guess-${i}-guess` } })
    assert.equal(res.statusCode, 401)
  }
  const locked = await app.inject({ method: 'POST', url: '/api/session', headers: sameOrigin, payload: { username: 'dave', password: 'dave-password-123' } })
  assert.equal(locked.statusCode, 429, 'even the right password is refused while locked')
  assert.equal(locked.json().error.code, 'AUTH_ERR_LOCKED')
  assert.match(locked.json().error.message, /too many failed logins; try again in \d+ minutes/)
  await login(app, 'admin', ADMIN_PASSWORD)
})

test('failed logins from one address are limited across accounts', async (t) => {
  const app = await testProxy(t)
  for (let i = 0; i < 30; i++) {
    await app.inject({ method: 'POST', url: '/api/session', headers: sameOrigin, payload: { username: `user${i}`, password: 'whatever-123' } })
  }
  const res = await app.inject({ method: 'POST', url: '/api/session', headers: sameOrigin, payload: { username: 'admin', password: ADMIN_PASSWORD } })
  assert.equal(res.statusCode, 429)
})

test('without ADMIN_PASSWORD a one-time setup token lets the first visitor choose the admin password', async (t) => {
  const app = await testProxy(t, { env: { ADMIN_PASSWORD: '' } })
  const token = app.setupToken
  assert.ok(token !== undefined && token.length >= 43)
  assert.equal((await app.inject({ url: '/setup' })).statusCode, 200)
  const weak = await app.inject({ method: 'POST', url: '/api/setup', headers: sameOrigin, payload: { token, password: 'short' } })
  assert.equal(weak.statusCode, 400, 'a weak password does not use up the token')
  const wrong = await app.inject({ method: 'POST', url: '/api/setup', headers: sameOrigin, payload: { token: (token.startsWith('x') ? 'y' : 'x') + token.slice(1), password: 'admin-password-1' } })
  assert.equal(wrong.statusCode, 403)
  const ok = await app.inject({ method: 'POST', url: '/api/setup', headers: sameOrigin, payload: { token, password: 'admin-password-1' } })
  assert.equal(ok.statusCode, 200)
  assert.ok(ok.cookies.some((c) => c.name === SHELL_COOKIE), 'logged in')
  const replay = await app.inject({ method: 'POST', url: '/api/setup', headers: sameOrigin, payload: { token, password: 'attacker-password' } })
  assert.equal(replay.statusCode, 403, 'the link works once')
  await login(app, 'admin', 'admin-password-1')
})
