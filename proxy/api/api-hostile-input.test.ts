import assert from 'node:assert/strict'
import { test } from 'node:test'
import { safeNext } from '../http/origins.js'
import { ADMIN_PASSWORD, SHELL_HOST, login, sameOrigin, testProxy } from '../test-support/proxy.js'

test('CSRF: state-changing calls with a session cookie need a same-origin Origin or Referer', async (t) => {
  const app = await testProxy(t)
  const cookie = await login(app, 'admin', ADMIN_PASSWORD)
  const create = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/api/admin/users', headers: { cookie, ...headers }, payload: { username: `u${Math.random().toString(36).slice(2, 8)}` } })
  const attempts: Array<Record<string, string>> = [
    { host: SHELL_HOST, origin: 'https://evil.example' },
    { host: SHELL_HOST, origin: 'null' },
    { host: SHELL_HOST, origin: `http://${SHELL_HOST}` },
    { host: SHELL_HOST, origin: 'https://abcdefgh.localhost:8443' },
    { host: SHELL_HOST, referer: 'https://evil.example/page' },
    { host: SHELL_HOST, referer: 'not a url' },
    { host: SHELL_HOST },
  ]
  for (const headers of attempts) {
    const res = await create(headers)
    assert.equal(res.statusCode, 403, JSON.stringify(headers))
    assert.equal(res.json().error.code, 'AUTH_ERR_CSRF')
  }
  assert.equal((await create({ host: SHELL_HOST, referer: `https://${SHELL_HOST}/admin` })).statusCode, 201)
  assert.equal((await create(sameOrigin)).statusCode, 201)
  const logout = await app.inject({ method: 'DELETE', url: '/api/session', headers: { host: SHELL_HOST, origin: 'https://evil.example', cookie } })
  assert.equal(logout.statusCode, 403, 'cross-site logout refused too')
  const form = await app.inject({ method: 'POST', url: '/api/session', headers: { ...sameOrigin, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'username=admin&password=x' })
  assert.equal(form.statusCode, 415, 'HTML forms cannot post to the API')
})

test('Bearer-token calls are exempt from the Origin rule; bad tokens are 401', async (t) => {
  const app = await testProxy(t)
  const cookie = await login(app, 'admin', ADMIN_PASSWORD)
  const made = await app.inject({ method: 'POST', url: '/api/tokens', headers: { ...sameOrigin, cookie }, payload: { name: 'script' } })
  assert.equal(made.statusCode, 201)
  const token = made.json().token as string
  const res = await app.inject({ method: 'POST', url: '/api/admin/users', headers: { authorization: `Bearer ${token}` }, payload: { username: 'scripted' } })
  assert.equal(res.statusCode, 201)
  for (const authorization of [`Bearer ${token.slice(0, -2)}xx`, 'Bearer', `Basic ${token}`, `Bearer ${token} extra`]) {
    assert.equal((await app.inject({ url: '/api/me', headers: { authorization } })).statusCode, 401, authorization)
  }
})

test('bad input never yields a 500; oversized bodies get 413', async (t) => {
  const app = await testProxy(t, { env: { BODY_LIMIT_BYTES: '2048' } })
  const cookie = await login(app, 'admin', ADMIN_PASSWORD)
  const bodies = ['{', '[]', 'null', '{"username":1,"password":2}', '{"username":"a"}', JSON.stringify({ username: 'a', password: 'b', extra: true }), '"\\u0000"']
  for (const payload of bodies) {
    const res = await app.inject({ method: 'POST', url: '/api/session', headers: { ...sameOrigin, 'content-type': 'application/json' }, payload })
    assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${payload} -> ${res.statusCode}`)
    assert.equal(typeof res.json().error.code, 'string')
  }
  for (const id of ['..%2f..', 'UPPER', 'a', 'x'.repeat(200)]) {
    const res = await app.inject({ method: 'POST', url: `/api/admin/users/${id}/disable`, headers: { ...sameOrigin, cookie } })
    assert.ok([400, 404, 414].includes(res.statusCode), `${id} -> ${res.statusCode}`)
  }
  const big = await app.inject({ method: 'POST', url: '/api/session', headers: { ...sameOrigin, 'content-type': 'application/json' }, payload: JSON.stringify({ username: 'admin', password: 'x'.repeat(4000) }) })
  assert.equal(big.statusCode, 413)
  assert.equal(big.json().error.code, 'FST_ERR_CTP_BODY_TOO_LARGE')
})

test('next: only paths on our own origin survive', () => {
  for (const evil of ['https://evil.example/', '//evil.example/', '/\\evil.example', '\\\\evil.example', 'javascript:alert(1)', '/\r\nLocation: https://evil.example', '/\t/evil.example', ' /x', 'http:evil.example', '', 5, undefined]) {
    assert.equal(safeNext(evil), '/', String(evil))
  }
  assert.equal(safeNext('/grains/abc?x=1#top'), '/grains/abc?x=1#top')
  assert.equal(safeNext('/a/../../b'), '/b')
})

test('the API is documented as OpenAPI at /api/docs/json', async (t) => {
  const app = await testProxy(t)
  const res = await app.inject({ url: '/api/docs/json' })
  assert.equal(res.statusCode, 200)
  const doc = res.json()
  assert.match(doc.openapi, /^3\./)
  for (const path of ['/api/session', '/api/me', '/api/admin/users']) assert.ok(doc.paths[path], path)
})
