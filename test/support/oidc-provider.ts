/**
 * A real OpenID Connect provider (panva's oidc-provider) on loopback for
 * login tests. Its interaction step is driven by the test: `decide` says,
 * for each login, which account logs in or that the user denies consent.
 * `providerHandler` is the provider itself, also served over HTTPS for
 * browser tests (`test/browser/support/oidc.ts`).
 */
import { generateKeyPairSync } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import Provider from 'oidc-provider'

export interface TestAccount { sub: string, preferred_username?: string, email?: string, name?: string }
export type Decision = { account: TestAccount } | { deny: true }

export interface TestOidcProvider {
  issuer: string
  clientId: string
  clientSecret: string
  /** What the next interactions answer (until the first call: deny). */
  decide: (d: Decision) => void
  close: () => Promise<void>
}

/** The client every test provider knows. */
export interface TestClient { clientId: string, clientSecret: string, redirectUris: string[] }

/**
 * A request handler serving a real oidc-provider at `issuer` for one client.
 * Its interaction step (login and consent) has no page: it answers at once
 * with `decision()`, logging in as that account with every scope granted, or
 * denying access as a person who says no would.
 */
export function providerHandler (issuer: string, client: TestClient, decision: () => Decision): (req: IncomingMessage, res: ServerResponse) => void {
  const accounts = new Map<string, TestAccount>()
  const provider = new Provider(issuer, {
    clients: [{ client_id: client.clientId, client_secret: client.clientSecret, redirect_uris: client.redirectUris, grant_types: ['authorization_code'], response_types: ['code'] }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
    findAccount: async (_ctx: unknown, sub: string) => {
      const a = accounts.get(sub)
      return a === undefined ? undefined : { accountId: sub, claims: async () => ({ ...a }) }
    },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    cookies: { keys: ['test-cookie-key-0123456789'] },
    jwks: { keys: [{ ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'test', alg: 'RS256', use: 'sig' }] },
  })
  provider.proxy = false
  provider.on('server_error', () => { /* surfaced to the test through the failed login */ })
  const callback = provider.callback()
  return (req, res) => {
    if (req.url?.startsWith('/interaction/') !== true) return callback(req, res)
    void (async () => {
      const details = await provider.interactionDetails(req, res)
      const d = decision()
      if ('deny' in d) {
        await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the user said no' }, { mergeWithLastSubmission: false })
        return
      }
      accounts.set(d.account.sub, d.account)
      const grant = new provider.Grant({ accountId: d.account.sub, clientId: details.params.client_id })
      grant.addOIDCScope('openid email profile')
      const grantId = await grant.save()
      await provider.interactionFinished(req, res, { login: { accountId: d.account.sub }, consent: { grantId } }, { mergeWithLastSubmission: false })
    })().catch((err: unknown) => { res.statusCode = 500; res.end(String(err)) })
  }
}

export async function startOidcProvider (redirectUris: string[]): Promise<TestOidcProvider> {
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  let decision: Decision = { deny: true }
  const client = { clientId: 'granary-test', clientSecret: 'granary-test-secret-0123456789abcdef', redirectUris }
  server.on('request', providerHandler(issuer, client, () => decision))
  return {
    issuer,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    decide: (d) => { decision = d },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }),
  }
}

/**
 * Follows a browser's redirects through the provider (keeping its cookies) from `url` until the provider
 * sends the browser back to a URL starting with `until`; returns that URL.
 */
export async function followProvider (url: string, until: string): Promise<string> {
  const jar = new Map<string, string>()
  let next = url
  for (let i = 0; i < 10; i++) {
    if (next.startsWith(until)) return next
    const res = await fetch(next, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } })
    for (const c of res.headers.getSetCookie()) {
      const [pair = ''] = c.split(';')
      const eq = pair.indexOf('=')
      jar.set(pair.slice(0, eq), pair.slice(eq + 1))
    }
    const location = res.headers.get('location')
    if (location === null) throw new Error(`provider stopped at ${next} with ${res.status}: ${await res.text()}`)
    next = new URL(location, next).href
  }
  throw new Error('too many redirects at the provider')
}
