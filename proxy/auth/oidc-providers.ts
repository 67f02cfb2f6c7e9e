/**
 * OpenID Connect providers from configuration (`OIDC_PROVIDERS`, a JSON
 * array). Validation collects every problem before failing, like the rest of
 * the configuration.
 */
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { ConfigError } from '../../core/config.js'

export const OidcProviderSchema = Type.Object({
  /** Short name in URLs: `/api/session/oidc/<id>`. */
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,31}$' }),
  /** Shown on the login page ("Log in with <name>"). */
  name: Type.String({ minLength: 1, maxLength: 100 }),
  issuer: Type.String({ pattern: '^https?://' }),
  clientId: Type.String({ minLength: 1 }),
  clientSecret: Type.String({ minLength: 1 }),
}, { additionalProperties: false })
export type OidcProviderConfig = Static<typeof OidcProviderSchema>

/** The providers in `raw` (undefined: none). Throws ConfigError naming every problem. */
export function parseOidcProviders (raw: string | undefined): OidcProviderConfig[] {
  if (raw === undefined) return []
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch (err) {
    throw new ConfigError([`OIDC_PROVIDERS: not valid JSON (${(err as Error).message})`])
  }
  if (!Array.isArray(value)) throw new ConfigError(['OIDC_PROVIDERS: must be a JSON array of providers'])
  const problems: string[] = []
  const seen = new Set<string>()
  value.forEach((p: unknown, i) => {
    for (const e of Value.Errors(OidcProviderSchema, p)) problems.push(`OIDC_PROVIDERS[${i}]${e.path.replace(/\//g, '.')}: ${e.message.toLowerCase()}`)
    const id = (p as { id?: unknown } | null)?.id
    if (typeof id === 'string') {
      if (seen.has(id)) problems.push(`OIDC_PROVIDERS[${i}].id: "${id}" is used twice`)
      seen.add(id)
    }
    const issuer = (p as { issuer?: unknown } | null)?.issuer
    if (typeof issuer === 'string' && issuer.startsWith('http://')) problems.push(`OIDC_PROVIDERS[${i}].issuer: must use https`)
  })
  if (problems.length > 0) throw new ConfigError(problems)
  return value as OidcProviderConfig[]
}
