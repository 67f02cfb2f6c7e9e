import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { ConfigError } from '../../core/config.js'
import { followProvider, startOidcProvider, type TestOidcProvider } from '../../test/support/oidc-provider.js'
import { OIDC_FLOW_COOKIE, SHELL_COOKIE } from '../http/cookies.js'
import { ADMIN_PASSWORD, SHELL_HOST, SHELL_ORIGIN, login, testProxy } from '../test-support/proxy.js'
import { parseOidcProviders } from './oidc-providers.js'

const CALLBACK = `${SHELL_ORIGIN}/api/session/oidc/test/callback`

async function setup (t: TestContext): Promise<{ app: FastifyInstance, op: TestOidcProvider }> {
  const op = await startOidcProvider([CALLBACK])
  t.after(() => op.close())
  const app = await testProxy(t, {
    oidcProviders: [
      { id: 'test', name: 'Test IdP', issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret },
      { id: 'gone', name: 'Nowhere', issuer: 'http://127.0.0.1:9', clientId: 'x', clientSecret: 'y' },
    ],
    oidcAllowInsecureRequests: true,
  })
  return { app, op }
}

/** Starts a login in "the browser" (cookie), goes through the provider, and returns the callback URL and the flow cookie. */
async function throughProvider (app: FastifyInstance, query = '', cookie?: string): Promise<{ callback: string, flowCookie: string }> {
  const start = await app.inject({ url: `/api/session/oidc/test${query}`, headers: { host: SHELL_HOST, ...(cookie !== undefined ? { cookie } : {}) } })
  assert.equal(start.statusCode, 302, start.body)
  const flow = start.cookies.find((c) => c.name === OIDC_FLOW_COOKIE)
  assert.ok(flow, 'a flow cookie is set')
  const location = String(start.headers.location)
  const params = new URL(location).searchParams
  assert.equal(params.get('code_challenge_method'), 'S256')
  assert.ok(params.get('state') !== null && params.get('nonce') !== null)
  assert.equal(params.get('redirect_uri'), CALLBACK)
  return { callback: await followProvider(location, CALLBACK), flowCookie: `${OIDC_FLOW_COOKIE}=${flow.value}` }
}

const callbackPath = (url: string): string => url.slice(SHELL_ORIGIN.length)

async function finish (app: FastifyInstance, callback: string, cookie: string) {
  return app.inject({ url: callbackPath(callback), headers: { host: SHELL_HOST, cookie } })
}

/** A failed login: the browser is sent back to the login screen, logged in as no one; answers the error code it is told. */
function refused (res: Awaited<ReturnType<FastifyInstance['inject']>>): string {
  assert.equal(res.statusCode, 302, res.body)
  const location = String(res.headers.location)
  assert.match(location, /^\/#\/login\?error=[A-Z_]+$/, 'back to the login screen with an error code, not a JSON page')
  assert.equal(res.cookies.find((c) => c.name === SHELL_COOKIE), undefined, 'no session')
  return new URLSearchParams(location.split('?')[1]).get('error')!
}

test('first OIDC login creates an account (unique username) and logs in; the next login finds it again', async (t) => {
  const { app, op } = await setup(t)
  const admin = await login(app, 'admin', ADMIN_PASSWORD)
  op.decide({ account: { sub: 'alice-sub', preferred_username: 'Admin', email: 'alice@example.org', name: 'Alice A.' } })
  const { callback, flowCookie } = await throughProvider(app, '?next=/grains/x')
  const done = await finish(app, callback, flowCookie)
  assert.equal(done.statusCode, 302, done.body)
  assert.equal(done.headers.location, '/grains/x')
  const session = done.cookies.find((c) => c.name === SHELL_COOKIE)
  assert.ok(session)
  const me = await app.inject({ url: '/api/me', headers: { cookie: `${SHELL_COOKIE}=${session.value}` } })
  assert.equal(me.json().user.username, 'admin-2', '"admin" is taken, so the name is made unique')
  assert.equal(me.json().user.displayName, 'Alice A.')
  assert.equal(me.json().user.role, 'user')

  const again = await throughProvider(app)
  const second = await finish(app, again.callback, again.flowCookie)
  const session2 = second.cookies.find((c) => c.name === SHELL_COOKIE)!
  assert.equal((await app.inject({ url: '/api/me', headers: { cookie: `${SHELL_COOKIE}=${session2.value}` } })).json().user.id, me.json().user.id)
  const users = await app.inject({ url: '/api/admin/users', headers: { cookie: admin } })
  assert.equal(users.json().users.length, 2, 'no second account')
  const logins = (await app.inject({ url: '/api/admin/audit', headers: { cookie: admin } })).json().events
    .filter((e: { action: string, actor: string }) => e.action === 'login' && e.actor === me.json().user.id)
  assert.deepEqual(logins.map((e: { actorName: string, details: { method: string } }) => [e.actorName, e.details.method]), [['Alice A.', 'oidc:test'], ['Alice A.', 'oidc:test']], 'both logins are in the audit log')
})

test('a password user can link an OIDC identity and then log in with either', async (t) => {
  const { app, op } = await setup(t)
  const admin = await login(app, 'admin', ADMIN_PASSWORD)
  op.decide({ account: { sub: 'admin-at-idp', email: 'root@example.org' } })
  const anonymousLink = await app.inject({ url: '/api/session/oidc/test?link=1', headers: { host: SHELL_HOST } })
  assert.equal(refused(anonymousLink), 'ERR_UNAUTHORIZED', 'linking needs a logged-in browser')
  const { callback, flowCookie } = await throughProvider(app, '?link=1', admin)
  const linked = await finish(app, callback, `${admin}; ${flowCookie}`)
  assert.equal(linked.statusCode, 302)
  assert.equal(linked.cookies.find((c) => c.name === SHELL_COOKIE), undefined, 'linking keeps the current session')

  const viaIdp = await throughProvider(app)
  const loggedIn = await finish(app, viaIdp.callback, viaIdp.flowCookie)
  const session = loggedIn.cookies.find((c) => c.name === SHELL_COOKIE)!
  assert.equal((await app.inject({ url: '/api/me', headers: { cookie: `${SHELL_COOKIE}=${session.value}` } })).json().user.username, 'admin')
})

test('wrong state, a replayed callback, a missing flow cookie and a tampered issuer send the browser back to log in', async (t) => {
  const { app, op } = await setup(t)
  op.decide({ account: { sub: 'bob-sub', preferred_username: 'bob' } })

  const a = await throughProvider(app)
  const wrongState = new URL(a.callback)
  wrongState.searchParams.set('state', 'forged-state')
  const res1 = await finish(app, wrongState.href, a.flowCookie)
  assert.equal(refused(res1), 'OIDC_ERR_FAILED')
  assert.ok(res1.cookies.some((c) => c.name === OIDC_FLOW_COOKIE && c.value === ''), 'the flow cookie is cleared')
  assert.equal(refused(await finish(app, a.callback, a.flowCookie)), 'OIDC_ERR_EXPIRED', 'a failed flow cannot be retried')

  const b = await throughProvider(app)
  assert.equal((await finish(app, b.callback, b.flowCookie)).statusCode, 302)
  assert.equal(refused(await finish(app, b.callback, b.flowCookie)), 'OIDC_ERR_EXPIRED', 'replayed code')

  const c = await throughProvider(app)
  assert.equal(refused(await finish(app, c.callback, '')), 'OIDC_ERR_EXPIRED', 'no flow cookie: a callback link sent to someone else logs no one in')
  const d = await throughProvider(app)
  const stolen = await throughProvider(app)
  assert.equal(refused(await finish(app, stolen.callback, d.flowCookie)), 'OIDC_ERR_FAILED', "another browser's code with my flow")

  const e = await throughProvider(app)
  const wrongIss = new URL(e.callback)
  wrongIss.searchParams.set('iss', 'https://evil.example')
  assert.equal(refused(await finish(app, wrongIss.href, e.flowCookie)), 'OIDC_ERR_FAILED')
})

test('denied consent sends the browser back to the login screen saying so, with no session', async (t) => {
  const { app, op } = await setup(t)
  op.decide({ deny: true })
  const { callback, flowCookie } = await throughProvider(app)
  assert.equal(new URL(callback).searchParams.get('error'), 'access_denied')
  assert.equal(refused(await finish(app, callback, flowCookie)), 'OIDC_ERR_DENIED')
})

test('unknown provider, an unreachable issuer and a malformed provider id go back to log in; next cannot leave our origin', async (t) => {
  const { app, op } = await setup(t)
  assert.equal(refused(await app.inject({ url: '/api/session/oidc/nope', headers: { host: SHELL_HOST } })), 'OIDC_ERR_UNKNOWN_PROVIDER')
  assert.equal(refused(await app.inject({ url: '/api/session/oidc/nope/callback?code=x&state=y', headers: { host: SHELL_HOST } })), 'OIDC_ERR_UNKNOWN_PROVIDER')
  assert.equal(refused(await app.inject({ url: '/api/session/oidc/Not%20An%20Id/callback', headers: { host: SHELL_HOST } })), 'ERR_BAD_REQUEST')
  assert.equal(refused(await app.inject({ url: '/api/session/oidc/gone', headers: { host: SHELL_HOST } })), 'ERR_UNAVAILABLE')
  assert.equal((await app.inject({ url: '/api/session/providers' })).json().providers.length, 2)

  op.decide({ account: { sub: 'carol-sub', preferred_username: 'carol' } })
  const { callback, flowCookie } = await throughProvider(app, `?next=${encodeURIComponent('//evil.example/phish')}`)
  const res = await finish(app, callback, flowCookie)
  assert.equal(res.statusCode, 302)
  assert.equal(res.headers.location, '/')
})

test('OIDC_PROVIDERS is validated with every problem named', () => {
  assert.deepEqual(parseOidcProviders(undefined), [])
  assert.throws(() => parseOidcProviders('{'), ConfigError)
  try {
    parseOidcProviders(JSON.stringify([{ id: 'Bad Id', name: 'x', issuer: 'ftp://x', clientId: 'a' }, { id: 'g', name: 'G', issuer: 'http://idp', clientId: 'a', clientSecret: 'b' }]))
    assert.fail('should throw')
  } catch (err) {
    const problems = (err as ConfigError).problems.join('\n')
    assert.match(problems, /OIDC_PROVIDERS\[0\]\.id/)
    assert.match(problems, /OIDC_PROVIDERS\[0\]\.issuer/)
    assert.match(problems, /OIDC_PROVIDERS\[0\]: .*clientSecret|clientSecret/)
    assert.match(problems, /OIDC_PROVIDERS\[1\]\.issuer: must use https/)
  }
})
