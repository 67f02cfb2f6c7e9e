/**
 * A listening proxy (plain HTTP; TLS is tested on its own) with a stand-in
 * grain behind it, three users (admin, alice, bob), and a grain owned by
 * alice; plus the commands tests need: open a grain (the handoff), share.
 */
import type { AddressInfo } from 'node:net'
import type { TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { Manifest } from '../../core/manifest/schema.js'
import { uniquePrefix } from '../../test/support/env.js'
import { staticAppDirectory } from '../apps.js'
import { GRAIN_COOKIE } from '../http/cookies.js'
import { ADMIN_PASSWORD, SHELL_HOST, createUser, login, sameOrigin, testProxy } from './proxy.js'
import { controlPlaneDouble, startUpstream, type ControlPlaneDouble, type Upstream } from './grain-upstream.js'

export const DEMO_APP: Manifest = {
  id: 'demo', name: 'Demo', version: '1.0.0', image: 'granary/demo:local', port: 8000, dataPath: '/data',
  permissions: [{ id: 'read', title: 'Read' }, { id: 'write', title: 'Write' }],
  roles: [{ id: 'viewer', title: 'Viewer', permissions: ['read'] }, { id: 'editor', title: 'Editor', permissions: ['read', 'write'] }],
  actions: [{ id: 'new', title: 'New demo' }],
  allowAnonymous: true,
}

export interface GrainWorld {
  app: FastifyInstance
  port: number
  upstream: Upstream
  cp: ControlPlaneDouble
  admin: string
  alice: string
  bob: string
  aliceId: string
  bobId: string
  grainId: string
  grainHost: string
  /** The Redis key prefix, to start a second proxy instance on the same data. */
  prefix: string
}

export async function grainWorld (t: TestContext, options: { bodyLimit?: number } = {}): Promise<GrainWorld> {
  const upstream = await startUpstream(t)
  const cp = controlPlaneDouble(upstream.port)
  const prefix = uniquePrefix()
  const app = await testProxy(t, {
    redisKeyPrefix: prefix,
    controlPlane: cp,
    apps: staticAppDirectory([DEMO_APP]),
    reportIntervalMs: 100,
    serverSecret: 'test-server-secret',
    ...(options.bodyLimit !== undefined ? { env: { BODY_LIMIT_BYTES: String(options.bodyLimit) } } : {}),
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const admin = await login(app, 'admin', ADMIN_PASSWORD)
  const aliceId = await createUser(app, admin, 'alice')
  const bobId = await createUser(app, admin, 'bob')
  await app.services.users.update(aliceId, { displayName: 'Alice Ångström' })
  const grain = await app.services.grains.create({ appId: 'demo', appVersion: '1.0.0', title: 'Doc', owner: aliceId })
  return {
    app, port: (app.server.address() as AddressInfo).port, upstream, cp, admin,
    alice: await login(app, 'alice', 'alice-password-123'),
    bob: await login(app, 'bob', 'bob-password-123'),
    aliceId, bobId, grainId: grain.id, grainHost: `${grain.id}.${SHELL_HOST}`, prefix,
  }
}

/** The one-time URL for a grain, as the shell gets it. */
export async function grainSessionUrl (app: FastifyInstance, shellCookie: string, grainId: string): Promise<URL> {
  const res = await app.inject({ method: 'POST', url: `/api/grains/${grainId}/session`, headers: { ...sameOrigin, cookie: shellCookie }, payload: {} })
  if (res.statusCode !== 200) throw new Error(`grain session failed: ${res.statusCode} ${res.body}`)
  return new URL(res.json().url as string)
}

/** Opens a grain as the browser would (shell → one-time URL → grain host) and returns the grain's Cookie header. */
export async function openGrain (app: FastifyInstance, shellCookie: string, grainId: string): Promise<string> {
  const url = await grainSessionUrl(app, shellCookie, grainId)
  const res = await app.inject({ url: url.pathname + url.search, headers: { host: url.host } })
  const cookie = res.cookies.find((c) => c.name === GRAIN_COOKIE)
  if (res.statusCode !== 302 || cookie === undefined) throw new Error(`handoff failed: ${res.statusCode} ${res.body}`)
  return `${GRAIN_COOKIE}=${cookie.value}`
}

/** Shares a grain through the API and returns the share's id. */
export async function share (app: FastifyInstance, fromCookie: string, grainId: string, to: string, grant: { role?: string, permissions?: string[] | 'all' }): Promise<string> {
  const res = await app.inject({ method: 'POST', url: `/api/grains/${grainId}/shares`, headers: { ...sameOrigin, cookie: fromCookie }, payload: { to, ...grant } })
  if (res.statusCode !== 201) throw new Error(`share failed: ${res.statusCode} ${res.body}`)
  return res.json().share.id as string
}
