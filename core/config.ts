/**
 * Typed configuration from environment variables.
 *
 * Each service declares its settings once with `setting(...)` (environment
 * variable name, TypeBox schema, default, one line of documentation) and calls
 * `loadConfig(settings, env)` once at start-up. Loading collects every problem
 * before failing, so an admin fixes them all in one go; the result is frozen.
 * A secret may also come from a file named by `<NAME>_FILE`.
 *
 * README.md's configuration table is generated from these declarations
 * (`npm run config:table`) and a test checks that it is up to date.
 */
import { readFileSync } from 'node:fs'
import type { Static, TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

export interface Setting<S extends TSchema = TSchema, D = Static<S> | undefined> {
  readonly env: string
  readonly schema: S
  readonly fallback: D
  readonly doc: string
  /** Shown in the README instead of the literal default (e.g. "<data dir>/redis"). */
  readonly fallbackDoc?: string
}

export function setting<S extends TSchema>(env: string, schema: S, fallback: Static<S>, doc: string, fallbackDoc?: string): Setting<S, Static<S>>
export function setting<S extends TSchema>(env: string, schema: S, fallback: undefined, doc: string, fallbackDoc?: string): Setting<S, Static<S> | undefined>
export function setting<S extends TSchema>(env: string, schema: S, fallback: Static<S> | undefined, doc: string, fallbackDoc?: string): Setting<S, Static<S> | undefined> {
  return fallbackDoc === undefined ? { env, schema, fallback, doc } : { env, schema, fallback, doc, fallbackDoc }
}

export type Settings = Record<string, Setting>
export type ConfigOf<T extends Settings> = { readonly [K in keyof T]: T[K]['fallback'] extends undefined ? Static<T[K]['schema']> | undefined : Static<T[K]['schema']> }

export class ConfigError extends Error {
  readonly problems: readonly string[]
  constructor (problems: readonly string[]) {
    super(`invalid configuration: ${problems.join('; ')}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

type Env = Readonly<Record<string, string | undefined>>

function rawValue (s: Setting, env: Env, problems: string[]): string | undefined {
  const fileVar = `${s.env}_FILE`
  const file = env[fileVar]
  if (file !== undefined && file !== '') {
    if (env[s.env] !== undefined) problems.push(`${s.env} and ${fileVar} are both set; set only one`)
    try {
      return readFileSync(file, 'utf8').trim()
    } catch (err) {
      problems.push(`${fileVar}: cannot read ${file} (${(err as Error).message})`)
      return undefined
    }
  }
  const raw = env[s.env]
  return raw === '' ? undefined : raw
}

/** Parses one environment string against the setting's schema, strictly (no "12abc" → 12). */
function parse (s: Setting, raw: string): unknown {
  const type = (s.schema as { type?: string }).type
  if (type === 'integer' || type === 'number') return /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw
  if (type === 'boolean') {
    if (/^(true|1|yes|on)$/i.test(raw)) return true
    if (/^(false|0|no|off)$/i.test(raw)) return false
    return raw
  }
  return Value.Convert(s.schema, raw)
}

export function loadConfig<T extends Settings> (settings: T, env: Env): ConfigOf<T> {
  const problems: string[] = []
  const out: Record<string, unknown> = {}
  for (const [key, s] of Object.entries(settings)) {
    const raw = rawValue(s, env, problems)
    if (raw === undefined) {
      out[key] = s.fallback
      continue
    }
    const value = parse(s, raw)
    if (!Value.Check(s.schema, value)) {
      const first = Value.Errors(s.schema, value).First()
      problems.push(`${s.env}=${JSON.stringify(raw)}: ${first?.message.toLowerCase() ?? 'invalid value'}`)
      continue
    }
    out[key] = value
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze(out) as ConfigOf<T>
}

/** The README's configuration table rows for some settings. */
export function configTableRows (settings: Settings): string[] {
  return Object.values(settings).map((s) => {
    const def = s.fallbackDoc ?? (s.fallback === undefined ? '(none)' : `\`${String(s.fallback)}\``)
    return `| \`${s.env}\` | ${def} | ${s.doc} |`
  })
}
