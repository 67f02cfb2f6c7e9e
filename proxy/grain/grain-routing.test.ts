import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { test } from 'node:test'
import { WebSocket } from 'ws'
import { proxyKeys } from '../../core/keys.js'
import { hashSecret } from '../auth/sessions.js'
import { GRAIN_COOKIE, SHELL_COOKIE } from '../http/cookies.js'
import { send } from '../test-support/grain-upstream.js'
import { grainSessionUrl, grainWorld, openGrain, share } from '../test-support/grain-world.js'
import { SHELL_HOST, SHELL_ORIGIN, sameOrigin, testProxy } from '../test-support/proxy.js'
import { staticAppDirectory } from '../apps.js'
import { DEMO_APP } from '../test-support/grain-world.js'
import { grainUserId } from './headers.js'

test('the owner opens a grain on its own origin and the grain gets the contract headers', async (t) => {
  const w = await grainWorld(t)
  const url = await grainSessionUrl(w.app, w.alice, w.grainId)
  assert.equal(url.host, w.grainHost)
  assert.equal(url.protocol, 'https:')
  const cookie = await openGrain(w.app, w.alice, w.grainId)
  const res = await send(w.port, { path: '/doc?x=1', headers: { host: w.grainHost, cookie: `${cookie}; app-cookie=1; ${SHELL_COOKIE}=whatever` } })
  assert.equal(res.status, 200, res.body)
  const seen = JSON.parse(res.body)
  assert.equal(seen.url, '/doc?x=1')
  assert.equal(seen.headers['x-permissions'], 'read,write')
  assert.equal(seen.headers['x-user-id'], grainUserId('test-server-secret', w.aliceId, w.grainId))
  assert.match(seen.headers['x-user-id'], /^[0-9a-f]{32}$/)
  assert.equal(seen.headers['x-user-name'], encodeURIComponent('Alice Ångström'))
  assert.equal(seen.headers['x-grain-id'], w.grainId)
  assert.equal(seen.headers['x-session-type'], 'browser')
  assert.equal(seen.headers['x-forwarded-proto'], 'https')
  assert.equal(seen.headers['x-forwarded-host'], w.grainHost)
  assert.equal(seen.headers.cookie, 'app-cookie=1', 'the proxy\'s own cookies never reach the grain')
  assert.equal(res.headers['content-security-policy'], `frame-ancestors ${SHELL_ORIGIN}`)
  assert.equal(res.headers['referrer-policy'], 'same-origin')
  assert.deepEqual(res.headers['set-cookie'], ['app-cookie=1; Path=/'], 'a grain cannot set the proxy\'s cookie')
})

test('the same user gets a different X-User-Id in another grain', async (t) => {
  const w = await grainWorld(t)
  const other = await w.app.services.grains.create({ appId: 'demo', appVersion: '1.0.0', title: 'Other', owner: w.aliceId })
  const a = JSON.parse((await send(w.port, { headers: { host: w.grainHost, cookie: await openGrain(w.app, w.alice, w.grainId) } })).body)
  const b = JSON.parse((await send(w.port, { headers: { host: `${other.id}.${SHELL_HOST}`, cookie: await openGrain(w.app, w.alice, other.id) } })).body)
  assert.notEqual(a.headers['x-user-id'], b.headers['x-user-id'])
})

test('spoofed grain headers in any spelling, repeated or folded, never reach the grain', async (t) => {
  const w = await grainWorld(t)
  await share(w.app, w.alice, w.grainId, 'bob', { role: 'viewer' })
  const cookie = await openGrain(w.app, w.bob, w.grainId)
  const spoofed = [
    'X-Permissions: read,write,admin', 'x-permissions: admin', 'X-PERMISSIONS: admin', 'X_Permissions: admin', 'x_permissions: admin',
    'X-User-Id: 00000000000000000000000000000000', 'X_USER_ID: 0', 'X-User-Name: Mallory', 'X-Grain-Id: othergrain', 'X-Session-Type: api',
    'X-Forwarded-Proto: http', 'X-Forwarded-Host: evil.example', 'Forwarded: for=1.2.3.4', 'X-Forwarded-For: 1.2.3.4',
  ]
  const raw = async (extra: string[]): Promise<string> => new Promise((resolve, reject) => {
    const socket = connect(w.port, '127.0.0.1')
    let out = ''
    socket.on('data', (d) => { out += d.toString() })
    socket.on('end', () => resolve(out))
    socket.on('error', reject)
    socket.write(['GET /spoof HTTP/1.1', `Host: ${w.grainHost}`, `Cookie: ${cookie}`, ...extra, 'Connection: close', '', ''].join('\r\n'))
  })
  const answer = await raw([...spoofed, ...spoofed])
  assert.match(answer, /^HTTP\/1\.1 200/)
  const seen = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))
  const reserved = /^(x[-_]permissions|x[-_]user[-_]id|x[-_]user[-_]name|x[-_]grain[-_]id|x[-_]session[-_]type|x[-_]forwarded[-_].*|forwarded)$/i
  const names: Array<[string, string]> = []
  for (let i = 0; i < seen.rawHeaders.length; i += 2) if (reserved.test(seen.rawHeaders[i])) names.push([seen.rawHeaders[i].toLowerCase(), seen.rawHeaders[i + 1]])
  assert.deepEqual(names.sort(), [
    ['x-forwarded-host', w.grainHost], ['x-forwarded-proto', 'https'], ['x-grain-id', w.grainId], ['x-permissions', 'read'],
    ['x-session-type', 'browser'], ['x-user-id', grainUserId('test-server-secret', w.bobId, w.grainId)], ['x-user-name', 'bob'],
  ].sort())
  // An obs-folded continuation line must not smuggle a header either: refused or ignored.
  const folded = await raw(['X-Note: a', ' X-Permissions: admin'])
  if (/^HTTP\/1\.1 200/.test(folded)) {
    const s = JSON.parse(folded.slice(folded.indexOf('\r\n\r\n') + 4))
    assert.equal(s.headers['x-permissions'], 'read')
  } else {
    assert.match(folded, /^HTTP\/1\.1 400/)
  }
})

test('forged or unknown grain cookies and shell cookies are refused on grain hosts; grain cookies are refused on the shell and on other grains', async (t) => {
  const w = await grainWorld(t)
  const cookie = await openGrain(w.app, w.alice, w.grainId)
  const other = await w.app.services.grains.create({ appId: 'demo', appVersion: '1.0.0', title: 'Other', owner: w.aliceId })
  const shellValue = w.alice.split('=')[1]
  for (const c of [`${GRAIN_COOKIE}=${'A'.repeat(43)}`, `${GRAIN_COOKIE}=`, `${GRAIN_COOKIE}=${shellValue}`, w.alice, '']) {
    const res = await send(w.port, { headers: { host: w.grainHost, cookie: c } })
    assert.equal(res.status, 403, c)
    assert.match(res.body, /No access/)
  }
  const elsewhere = await send(w.port, { headers: { host: `${other.id}.${SHELL_HOST}`, cookie } })
  assert.equal(elsewhere.status, 403, 'a grain cookie opens only its own grain')
  const onShell = await w.app.inject({ url: '/api/me', headers: { host: SHELL_HOST, cookie: `${SHELL_COOKIE}=${cookie.split('=')[1]}` } })
  assert.equal(onShell.statusCode, 401, 'a grain session is no shell session')
  assert.equal(w.upstream.seen.length, 0, 'nothing reached the grain')
})

test('grain hosts never answer shell routes, and unknown grains get a 404 page', async (t) => {
  const w = await grainWorld(t)
  const cookie = await openGrain(w.app, w.alice, w.grainId)
  const res = await send(w.port, { path: '/api/me', headers: { host: w.grainHost, cookie } })
  assert.equal(JSON.parse(res.body).url, '/api/me', '/api/me on a grain host is the grain\'s own path')
  const shell = await send(w.port, { path: '/.granary-grain/x', headers: { host: SHELL_HOST } })
  assert.equal(shell.status, 404)
  const missing = await send(w.port, { headers: { host: `abcdefghijkl.${SHELL_HOST}`, cookie } })
  assert.ok([403, 404].includes(missing.status))
})

test('a used, expired or misdirected handoff token is refused', async (t) => {
  const w = await grainWorld(t)
  const url = await grainSessionUrl(w.app, w.alice, w.grainId)
  const first = await w.app.inject({ url: url.pathname + url.search, headers: { host: url.host } })
  assert.equal(first.statusCode, 302)
  assert.equal(first.headers.location, '/')
  const again = await w.app.inject({ url: url.pathname + url.search, headers: { host: url.host } })
  assert.equal(again.statusCode, 403, 'single use')

  const expiring = await grainSessionUrl(w.app, w.alice, w.grainId)
  await w.app.redis.pexpire(proxyKeys.grainHandoff(hashSecret(expiring.searchParams.get('token')!)), 1)
  await new Promise((resolve) => setTimeout(resolve, 20))
  assert.equal((await w.app.inject({ url: expiring.pathname + expiring.search, headers: { host: expiring.host } })).statusCode, 403, 'expired')

  const other = await w.app.services.grains.create({ appId: 'demo', appVersion: '1.0.0', title: 'Other', owner: w.aliceId })
  const misdirected = await grainSessionUrl(w.app, w.alice, w.grainId)
  const res = await w.app.inject({ url: misdirected.pathname + misdirected.search, headers: { host: `${other.id}.${SHELL_HOST}` } })
  assert.equal(res.statusCode, 403, 'a token for one grain opens no other')
  assert.equal(res.cookies.length, 0)

  const bobTry = await w.app.inject({ method: 'POST', url: `/api/grains/${w.grainId}/session`, headers: { ...sameOrigin, cookie: w.bob }, payload: {} })
  assert.equal(bobTry.statusCode, 403, 'no handoff without access')
})

test('CSRF on a grain: a state-changing request from another origin is refused', async (t) => {
  const w = await grainWorld(t)
  const cookie = await openGrain(w.app, w.alice, w.grainId)
  for (const origin of ['https://evil.example', SHELL_ORIGIN, `http://${w.grainHost}`, 'null']) {
    const res = await send(w.port, { method: 'POST', path: '/save', headers: { host: w.grainHost, cookie, origin, 'content-type': 'text/plain' }, body: 'x' })
    assert.equal(res.status, 403, origin)
  }
  const noOrigin = await send(w.port, { method: 'POST', path: '/save', headers: { host: w.grainHost, cookie, 'content-type': 'text/plain' }, body: 'x' })
  assert.equal(noOrigin.status, 403)
  const ok = await send(w.port, { method: 'POST', path: '/save', headers: { host: w.grainHost, cookie, origin: `https://${w.grainHost}`, 'content-type': 'application/json' }, body: '{"a":1}' })
  assert.equal(ok.status, 200)
  assert.equal(JSON.parse(ok.body).body, '{"a":1}', 'the body reaches the grain untouched')
  assert.equal(w.upstream.seen.length, 1)
})

test('oversized grain request bodies get 413, declared or streamed', async (t) => {
  const w = await grainWorld(t, { bodyLimit: 4096 })
  const cookie = await openGrain(w.app, w.alice, w.grainId)
  const headers = { host: w.grainHost, cookie, origin: `https://${w.grainHost}`, 'content-type': 'application/octet-stream' }
  const declared = await send(w.port, { method: 'PUT', path: '/upload', headers, body: Buffer.alloc(5000) })
  assert.equal(declared.status, 413)
  const streamed = await new Promise<number>((resolve, reject) => {
    import('node:http').then(({ request }) => {
      const req = request({ host: '127.0.0.1', port: w.port, method: 'PUT', path: '/upload', headers: { ...headers, 'transfer-encoding': 'chunked' } }, (res) => { res.resume(); resolve(res.statusCode ?? 0) })
      req.on('error', reject)
      for (let i = 0; i < 10; i++) req.write(Buffer.alloc(1000))
      req.end()
    }, reject)
  })
  assert.equal(streamed, 413)
  const small = await send(w.port, { method: 'PUT', path: '/upload', headers, body: Buffer.alloc(4000) })
  assert.equal(small.status, 200)
})

test('revocation takes effect on the very next request and closes the user\'s WebSocket', async (t) => {
  const w = await grainWorld(t)
  const shareId = await share(w.app, w.alice, w.grainId, 'bob', { role: 'viewer' })
  const cookie = await openGrain(w.app, w.bob, w.grainId)
  assert.equal(JSON.parse((await send(w.port, { headers: { host: w.grainHost, cookie } })).body).headers['x-permissions'], 'read')

  const ws = new WebSocket(`ws://127.0.0.1:${w.port}/live`, { headers: { host: w.grainHost, cookie, origin: `https://${w.grainHost}` } })
  const hello = await new Promise<string>((resolve, reject) => { ws.once('message', (m) => resolve(String(m))); ws.once('error', reject) })
  assert.deepEqual(JSON.parse(hello), { hello: 'read' })
  ws.send('ping')
  assert.equal(await new Promise<string>((resolve) => ws.once('message', (m) => resolve(String(m)))), 'ping')
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))

  const revoke = await w.app.inject({ method: 'DELETE', url: `/api/grains/${w.grainId}/shares/${shareId}`, headers: { ...sameOrigin, cookie: w.alice } })
  assert.equal(revoke.statusCode, 204)
  const next = await send(w.port, { headers: { host: w.grainHost, cookie } })
  assert.equal(next.status, 403, 'the very next request')
  const started = Date.now()
  await closed
  assert.ok(Date.now() - started < 2000, 'the socket closes promptly')

  const crossSite = new WebSocket(`ws://127.0.0.1:${w.port}/live`, { headers: { host: w.grainHost, cookie: await openGrain(w.app, w.alice, w.grainId), origin: 'https://evil.example' } })
  const status = await new Promise<number>((resolve) => crossSite.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)))
  assert.equal(status, 403, 'cross-site WebSocket hijacking refused')
})

test('a starting grain: requests wait, browser navigations get a self-reloading page; failures get a clear 503', async (t) => {
  const w = await grainWorld(t)
  const cookie = await openGrain(w.app, w.alice, w.grainId)
  w.cp.wakeDelayMs = 1500
  const [nav, api] = await Promise.all([
    send(w.port, { headers: { host: w.grainHost, cookie, accept: 'text/html', 'sec-fetch-mode': 'navigate' } }),
    send(w.port, { path: '/data.json', headers: { host: w.grainHost, cookie, accept: 'application/json' } }),
  ])
  assert.equal(nav.status, 503)
  assert.match(nav.body, /Starting/)
  assert.match(nav.body, /http-equiv="refresh"/)
  assert.equal(api.status, 200, 'a non-navigation request is held until the grain runs')
  assert.equal(w.cp.wakes.length, 1, 'one wake for both')
  assert.equal((await send(w.port, { headers: { host: w.grainHost, cookie, accept: 'text/html' } })).status, 200, 'the reload gets the grain')

  const broken = await w.app.services.grains.create({ appId: 'demo', appVersion: '1.0.0', title: 'Broken', owner: w.aliceId })
  w.cp.wakeDelayMs = 0
  w.cp.wakeFailure = 'grain xyz could not start: exited with code 1'
  const res = await send(w.port, { headers: { host: `${broken.id}.${SHELL_HOST}`, cookie: await openGrain(w.app, w.alice, broken.id) } })
  assert.equal(res.status, 503)
  assert.match(res.body, /could not start: exited with code 1/)
})

test('a grain that moved is woken again on connection error; access is reported in batches', async (t) => {
  const w = await grainWorld(t)
  const cookie = await openGrain(w.app, w.alice, w.grainId)
  assert.equal((await send(w.port, { headers: { host: w.grainHost, cookie } })).status, 200)
  const { startUpstream } = await import('../test-support/grain-upstream.js')
  const moved = await startUpstream(t)
  await w.upstream.close()
  w.cp.port = moved.port
  const res = await send(w.port, { headers: { host: w.grainHost, cookie } })
  assert.equal(res.status, 200)
  assert.equal(moved.seen.length, 1)
  assert.equal(w.cp.wakes.length, 2)
  await new Promise((resolve) => setTimeout(resolve, 250))
  assert.ok(w.cp.accessReports.some((batch) => batch.includes(w.grainId)), 'reported')
  assert.ok(w.cp.accessReports.every((batch) => new Set(batch).size === batch.length), 'one entry per grain per batch')
})

test('grain API tokens (Bearer) and anonymous sharing links', async (t) => {
  const w = await grainWorld(t)
  const made = await w.app.inject({ method: 'POST', url: `/api/grains/${w.grainId}/tokens`, headers: { ...sameOrigin, cookie: w.alice }, payload: { role: 'viewer', label: 'script' } })
  assert.equal(made.statusCode, 201, made.body)
  const secret = made.json().secret as string
  const res = await send(w.port, { method: 'POST', path: '/api', headers: { host: w.grainHost, authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: '{}' })
  assert.equal(res.status, 200, 'Bearer calls need no Origin')
  const seen = JSON.parse(res.body)
  assert.equal(seen.headers['x-session-type'], 'api')
  assert.equal(seen.headers['x-permissions'], 'read')
  assert.equal(seen.headers.authorization, undefined, 'the token is not passed to the grain')
  const other = await w.app.services.grains.create({ appId: 'demo', appVersion: '1.0.0', title: 'Other', owner: w.aliceId })
  assert.equal((await send(w.port, { headers: { host: `${other.id}.${SHELL_HOST}`, authorization: `Bearer ${secret}` } })).status, 401)

  const link = await w.app.inject({ method: 'POST', url: `/api/grains/${w.grainId}/links`, headers: { ...sameOrigin, cookie: w.alice }, payload: { role: 'viewer', allowAnonymous: true } })
  assert.equal(link.statusCode, 201, link.body)
  const opened = await w.app.inject({ method: 'POST', url: '/api/links/open', headers: sameOrigin, payload: { secret: link.json().secret } })
  assert.equal(opened.statusCode, 200, opened.body)
  const url = new URL(opened.json().url)
  const handoff = await w.app.inject({ url: url.pathname + url.search, headers: { host: url.host } })
  const anon = `${GRAIN_COOKIE}=${handoff.cookies.find((c) => c.name === GRAIN_COOKIE)!.value}`
  const visit = JSON.parse((await send(w.port, { headers: { host: w.grainHost, cookie: anon } })).body)
  assert.equal(visit.headers['x-session-type'], 'anonymous')
  assert.equal(visit.headers['x-permissions'], 'read')
  assert.equal(visit.headers['x-user-id'], undefined)

  const revoke = await w.app.inject({ method: 'DELETE', url: `/api/grains/${w.grainId}/links/${link.json().link.id}`, headers: { ...sameOrigin, cookie: w.alice } })
  assert.equal(revoke.statusCode, 204)
  assert.equal((await send(w.port, { headers: { host: w.grainHost, cookie: anon } })).status, 403, 'revoking the link ends the anonymous visit')
})

test('disabling a user or logging out ends their grain sessions at once, on every proxy instance', async (t) => {
  const w = await grainWorld(t)
  await share(w.app, w.alice, w.grainId, 'bob', { role: 'viewer' })
  const second = await testProxy(t, { redisKeyPrefix: w.prefix, controlPlane: w.cp, apps: staticAppDirectory([DEMO_APP]) })
  const cookie = await openGrain(w.app, w.bob, w.grainId)
  const viaSecond = () => second.inject({ url: '/', headers: { host: w.grainHost, cookie } })
  assert.equal((await send(w.port, { headers: { host: w.grainHost, cookie } })).status, 200)
  assert.equal((await viaSecond()).statusCode, 200, 'the other instance serves the same session (and caches it)')
  const disable = await w.app.inject({ method: 'POST', url: `/api/admin/users/${w.bobId}/disable`, headers: { ...sameOrigin, cookie: w.admin } })
  assert.equal(disable.statusCode, 200)
  assert.equal((await send(w.port, { headers: { host: w.grainHost, cookie } })).status, 403)
  assert.equal((await viaSecond()).statusCode, 403, 'the other instance dropped its cached session before the disable returned')
})
