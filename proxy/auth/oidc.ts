/**
 * OpenID Connect login (openid-client v6): discovery, authorization code with
 * PKCE, state and nonce. The flow's secrets stay server-side in Redis, keyed
 * by a random flow id that the browser holds in a short-lived cookie; the
 * callback consumes the flow (one use). An identity is (issuer, sub); the
 * first login with a new identity creates an account, a logged-in user can
 * link further identities to theirs.
 */
import type { Redis } from 'ioredis'
import * as client from 'openid-client'
import {
  AUTH_ERR_DISABLED, ERR_CONFLICT, ERR_UNAVAILABLE, OIDC_ERR_ALREADY_LINKED, OIDC_ERR_DENIED, OIDC_ERR_EXPIRED, OIDC_ERR_FAILED, OIDC_ERR_UNKNOWN_PROVIDER,
} from '../../core/errors.js'
import { randomId } from '../../core/ids.js'
import { proxyKeys } from '../../core/keys.js'
import { DISPLAY_NAME_MAX, USERNAME_PATTERN, type User, type UserStore } from '../../core/users.js'
import type { OidcProviderConfig } from './oidc-providers.js'

export const FLOW_TTL_S = 600
const SCOPE = 'openid email profile'
const DISCOVERY_TIMEOUT_S = 10

export interface OidcFlow { provider: string, state: string, nonce: string, codeVerifier: string, redirectUri: string, next: string, linkTo?: string }

export interface OidcLogin {
  /** The configured providers, for the login page. */
  providers(): Array<{ id: string, name: string }>
  /** Starts a flow: returns the flow id (for the cookie) and the provider URL to send the browser to. Throws OIDC_ERR_UNKNOWN_PROVIDER, or ERR_UNAVAILABLE if the provider cannot be discovered. */
  start(providerId: string, opts: { redirectUri: string, next: string, linkTo?: string }): Promise<{ flowId: string, url: string }>
  /**
   * Finishes a flow from the callback URL: consumes the flow (a second call with the same flow fails), checks
   * state, nonce, PKCE and issuer, and returns the account to log in (created on first login, or the linked one).
   * Throws OIDC_ERR_EXPIRED (no flow in this browser, or one already used or expired), OIDC_ERR_DENIED (the user
   * said no at the provider), OIDC_ERR_FAILED (any other refused or broken response), OIDC_ERR_ALREADY_LINKED,
   * AUTH_ERR_DISABLED, OIDC_ERR_UNKNOWN_PROVIDER or ERR_UNAVAILABLE.
   */
  finish(providerId: string, flowId: string | undefined, callbackUrl: URL): Promise<{ user: User, next: string, linked: boolean }>
}

export interface OidcLoginOptions {
  redis: Redis
  users: UserStore
  providers: readonly OidcProviderConfig[]
  /** Tests only: allow an `http://` issuer on loopback. */
  allowInsecureRequests?: boolean
}

/** A username from the identity's claims, shaped to the username rules. */
export function usernameFromClaims (claims: Record<string, unknown>): string {
  const pick = [claims.preferred_username, typeof claims.email === 'string' ? claims.email.split('@')[0] : undefined, claims.name]
    .find((v): v is string => typeof v === 'string' && v.trim() !== '') ?? 'user'
  const shaped = pick.normalize('NFKD').toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 50)
  return USERNAME_PATTERN.test(shaped) ? shaped : 'user'
}

export function oidcLogin (opts: OidcLoginOptions): OidcLogin {
  const byId = new Map(opts.providers.map((p) => [p.id, p]))
  const configs = new Map<string, Promise<client.Configuration>>()

  const provider = (id: string): OidcProviderConfig => {
    const p = byId.get(id)
    if (p === undefined) throw new OIDC_ERR_UNKNOWN_PROVIDER(id)
    return p
  }
  const configuration = (p: OidcProviderConfig): Promise<client.Configuration> => {
    let config = configs.get(p.id)
    if (config === undefined) {
      config = client.discovery(new URL(p.issuer), p.clientId, p.clientSecret, undefined, {
        timeout: DISCOVERY_TIMEOUT_S,
        ...(opts.allowInsecureRequests === true ? { execute: [client.allowInsecureRequests] } : {}),
      }).catch((cause: unknown) => {
        configs.delete(p.id) // try again next time
        throw new ERR_UNAVAILABLE(`login provider "${p.id}" cannot be reached`, { cause })
      })
      configs.set(p.id, config)
    }
    return config
  }

  const createAccount = async (claims: Record<string, unknown>): Promise<User> => {
    const base = usernameFromClaims(claims)
    const displayName = typeof claims.name === 'string' && claims.name.trim() !== '' ? claims.name.trim().slice(0, DISPLAY_NAME_MAX) : undefined
    for (let n = 1; n < 100; n++) {
      const username = n === 1 ? base : `${base.slice(0, 50)}-${n}`
      try {
        return await opts.users.create({ username, ...(displayName !== undefined ? { displayName } : {}) })
      } catch (err) {
        if (!(err instanceof ERR_CONFLICT)) throw err
      }
    }
    return opts.users.create({ username: `${base.slice(0, 40)}-${randomId(8)}` })
  }

  return {
    providers: () => opts.providers.map((p) => ({ id: p.id, name: p.name })),

    async start (providerId, { redirectUri, next, linkTo }) {
      const config = await configuration(provider(providerId))
      const flow: OidcFlow = { provider: providerId, state: client.randomState(), nonce: client.randomNonce(), codeVerifier: client.randomPKCECodeVerifier(), redirectUri, next, ...(linkTo !== undefined ? { linkTo } : {}) }
      const flowId = randomId(32)
      await opts.redis.multi().hset(proxyKeys.oidcFlow(flowId), { ...flow }).expire(proxyKeys.oidcFlow(flowId), FLOW_TTL_S).exec()
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: SCOPE,
        state: flow.state,
        nonce: flow.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(flow.codeVerifier),
        code_challenge_method: 'S256',
      })
      return { flowId, url: url.href }
    },

    async finish (providerId, flowId, callbackUrl) {
      const p = provider(providerId)
      if (flowId === undefined || !/^[a-z2-7]{32}$/.test(flowId)) throw new OIDC_ERR_EXPIRED('no login in progress in this browser (cookies off, or it took over 10 minutes)')
      const res = await opts.redis.multi().hgetall(proxyKeys.oidcFlow(flowId)).del(proxyKeys.oidcFlow(flowId)).exec()
      const flow = res?.[0]?.[1] as Partial<OidcFlow> | undefined
      if (flow?.state === undefined || flow.provider !== providerId || flow.nonce === undefined || flow.codeVerifier === undefined || flow.redirectUri === undefined) {
        throw new OIDC_ERR_EXPIRED('this login was already used or has expired')
      }
      const config = await configuration(p)
      // The provider answers to the redirect URI it was given; rebuild it so the host we were reached at cannot matter.
      const current = new URL(flow.redirectUri)
      current.search = callbackUrl.search
      let claims: Record<string, unknown>
      try {
        const tokens = await client.authorizationCodeGrant(config, current, { pkceCodeVerifier: flow.codeVerifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true })
        const idClaims = tokens.claims()
        if (idClaims === undefined) throw new Error('no ID token')
        claims = { ...idClaims }
        if (config.serverMetadata().userinfo_endpoint !== undefined) {
          claims = { ...(await client.fetchUserInfo(config, tokens.access_token, idClaims.sub)), ...idClaims }
        }
      } catch (err) {
        const e = err as { error?: unknown, error_description?: unknown, message?: string }
        if (e.error === 'access_denied') throw new OIDC_ERR_DENIED({ cause: err })
        const reason = typeof e.error_description === 'string' ? e.error_description : (e.message ?? 'invalid response')
        throw new OIDC_ERR_FAILED(reason.slice(0, 200), { cause: err })
      }
      const issuer = config.serverMetadata().issuer
      const sub = String(claims.sub)
      const identityKey = proxyKeys.oidcIdentity(issuer, sub)
      const owner = await opts.redis.get(identityKey)
      if (flow.linkTo !== undefined) {
        if (owner !== null && owner !== flow.linkTo) throw new OIDC_ERR_ALREADY_LINKED()
        const user = await opts.users.get(flow.linkTo)
        if (user === undefined || user.disabled) throw new AUTH_ERR_DISABLED()
        await recordIdentity(opts.redis, user.id, issuer, sub, p.id, owner === null)
        return { user, next: flow.next ?? '/', linked: true }
      }
      let user = owner === null ? undefined : await opts.users.get(owner)
      if (user === undefined) {
        user = await createAccount(claims)
        await recordIdentity(opts.redis, user.id, issuer, sub, p.id, true)
      }
      if (user.disabled) throw new AUTH_ERR_DISABLED()
      return { user, next: flow.next ?? '/', linked: false }
    },
  }
}

async function recordIdentity (redis: Redis, userId: string, issuer: string, sub: string, provider: string, claim: boolean): Promise<void> {
  if (claim) {
    // SET NX: two first logins racing for one identity cannot make two owners.
    const ok = await redis.set(proxyKeys.oidcIdentity(issuer, sub), userId, 'NX')
    if (ok === null && await redis.get(proxyKeys.oidcIdentity(issuer, sub)) !== userId) throw new OIDC_ERR_ALREADY_LINKED()
  }
  await redis.hset(proxyKeys.userOidcIdentities(userId), `${issuer} ${sub}`, JSON.stringify({ issuer, sub, provider, linkedAt: Date.now() }))
}
