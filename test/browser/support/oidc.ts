/**
 * A real OpenID Connect provider (panva's oidc-provider) for browser login
 * tests, over HTTPS on loopback, since the proxy accepts only https issuers.
 * Its certificate is self-signed (made with openssl); the stack trusts it via
 * NODE_EXTRA_CA_CERTS=`caFile`, and the browser context ignores TLS errors.
 *
 * The issuer must be known before the stack starts (OIDC_PROVIDERS) but the
 * redirect URI only after (the shell's port is picked at start), so the
 * server listens first and `configure()` installs the provider afterwards.
 * Every login logs in as `account` with no interaction page.
 */
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Provider from 'oidc-provider'

export interface OidcAccount { sub: string, preferred_username: string, name: string, email?: string }

export interface BrowserOidcProvider {
  issuer: string
  clientId: string
  clientSecret: string
  /** PEM certificate to trust (pass as NODE_EXTRA_CA_CERTS). */
  caFile: string
  /** Installs the provider once the shell's callback URL is known. */
  configure: (redirectUri: string, account: OidcAccount) => void
  close: () => Promise<void>
}

export async function startBrowserOidcProvider (): Promise<BrowserOidcProvider> {
  const dir = mkdtempSync(join(tmpdir(), 'granary-oidc-'))
  const caFile = join(dir, 'cert.pem')
  const keyFile = join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', caFile], { stdio: 'ignore' })
  const server: Server = createServer({ cert: readFileSync(caFile), key: readFileSync(keyFile) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  const clientId = 'granary-browser-test'
  const clientSecret = 'granary-browser-test-secret-0123456789'
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined
  server.on('request', (req, res) => {
    if (handler === undefined) { res.statusCode = 503; res.end('not configured'); return }
    handler(req, res)
  })

  return {
    issuer,
    clientId,
    clientSecret,
    caFile,
    configure (redirectUri, account) {
      const provider = new Provider(issuer, {
        clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'] }],
        claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
        findAccount: async (_ctx: unknown, sub: string) => sub === account.sub ? { accountId: sub, claims: async () => ({ ...account }) } : undefined,
        features: { devInteractions: { enabled: false } },
        interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
        cookies: { keys: ['browser-test-cookie-key-0123456789'] },
        jwks: { keys: [{ ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'test', alg: 'RS256', use: 'sig' }] },
      })
      provider.proxy = false
      const callback = provider.callback()
      handler = (req, res) => {
        if (req.url?.startsWith('/interaction/') !== true) { callback(req, res); return }
        // The person at the provider says yes at once: log in and consent.
        void (async () => {
          const details = await provider.interactionDetails(req, res)
          const grant = new provider.Grant({ accountId: account.sub, clientId: details.params.client_id })
          grant.addOIDCScope('openid email profile')
          const grantId = await grant.save()
          await provider.interactionFinished(req, res, { login: { accountId: account.sub }, consent: { grantId } }, { mergeWithLastSubmission: false })
        })().catch((err: unknown) => { res.statusCode = 500; res.end(String(err)) })
      }
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => { rmSync(dir, { recursive: true, force: true }); resolve() })
    }),
  }
}
