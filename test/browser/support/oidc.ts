/**
 * A real OpenID Connect provider (panva's oidc-provider) for browser login
 * tests, over HTTPS on loopback, since the proxy accepts only https issuers.
 * Its certificate is self-signed (made with openssl); the stack trusts it via
 * NODE_EXTRA_CA_CERTS=`caFile`, and the browser context ignores TLS errors.
 *
 * The issuer must be known before the stack starts (OIDC_PROVIDERS) but the
 * redirect URI only after (the shell's port is picked at start), so the
 * server listens first and `configure()` installs the provider afterwards.
 * The provider is the in-process tests' own (`providerHandler`): every login
 * logs in as `account` with no interaction page, or is denied after `decide`.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { providerHandler, type Decision, type TestAccount } from '../../support/oidc-provider.js'

export type OidcAccount = TestAccount & { preferred_username: string, name: string }

export interface BrowserOidcProvider {
  issuer: string
  clientId: string
  clientSecret: string
  /** PEM certificate to trust (pass as NODE_EXTRA_CA_CERTS). */
  caFile: string
  /** Installs the provider once the shell's callback URL is known; logins log in as `account` until `decide` says otherwise. */
  configure: (redirectUri: string, account: OidcAccount) => void
  /** What the next logins answer: an account, or `{ deny: true }` (the person says no at the provider). */
  decide: (d: Decision) => void
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
  let decision: Decision = { deny: true }
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
      decision = { account }
      handler = providerHandler(issuer, { clientId, clientSecret, redirectUris: [redirectUri] }, () => decision)
    },
    decide: (d) => { decision = d },
    close: () => new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => { rmSync(dir, { recursive: true, force: true }); resolve() })
    }),
  }
}
