/**
 * Small reusable commands for proxy tests: a proxy on a private Redis key
 * prefix, logging in, creating users, and same-origin headers.
 */
import type { TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { loadProxyConfig } from '../../core/settings.js'
import { testRedisUrl, uniquePrefix } from '../../test/support/env.js'
import { build, type ProxyOptions } from '../app.js'
import type { ControlPlaneClient } from '../control-plane-client.js'
import { SHELL_COOKIE } from '../http/cookies.js'

export const SHELL_HOST = 'localhost:8443'
export const SHELL_ORIGIN = `https://${SHELL_HOST}`
export const ADMIN_PASSWORD = 'correct horse battery staple'
/** Headers of a same-origin browser request to the shell. */
export const sameOrigin = { host: SHELL_HOST, origin: SHELL_ORIGIN }

export const unusedControlPlane: ControlPlaneClient = {
  call: async () => { throw new Error('control plane not used in this test') },
  health: async () => ({ ok: true, redis: true, docker: true }),
}

export async function testProxy (t: TestContext, options: Partial<ProxyOptions> & { env?: Record<string, string> } = {}): Promise<FastifyInstance> {
  const { env, ...rest } = options
  const app = await build({
    config: loadProxyConfig({ ADMIN_PASSWORD, ...env }),
    controlPlane: unusedControlPlane,
    redisUrl: testRedisUrl(),
    redisKeyPrefix: uniquePrefix(),
    // Cheap hashes: tests log in often; the production cost is tested in passwords' own test.
    scryptParams: { N: 1024, r: 8, p: 1 },
    ...rest,
  })
  t.after(() => app.close())
  return app
}

/** Logs in by password and returns the Cookie header to send afterwards. Throws if the login fails. */
export async function login (app: FastifyInstance, username: string, password: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/session', headers: sameOrigin, payload: { username, password } })
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`)
  const cookie = res.cookies.find((c) => c.name === SHELL_COOKIE)
  if (cookie === undefined) throw new Error('no session cookie')
  return `${SHELL_COOKIE}=${cookie.value}`
}

/** Creates a user with a password (as admin) and returns its id. */
export async function createUser (app: FastifyInstance, adminCookie: string, username: string, password = `${username}-password-123`): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/admin/users', headers: { ...sameOrigin, cookie: adminCookie }, payload: { username, password } })
  if (res.statusCode !== 201) throw new Error(`create user failed: ${res.statusCode} ${res.body}`)
  return (res.json() as { user: { id: string } }).user.id
}
