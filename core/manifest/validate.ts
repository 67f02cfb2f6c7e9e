/**
 * The one manifest validator: the control plane, the CLI and the tests all
 * call `validateManifest` (or `parseManifest` for text). It never stops at the
 * first problem: a packager sees every problem at once, each with the path of
 * the offending value and the reason, e.g.
 * `roles[1].permissions[0]: unknown permission "wrte"`.
 *
 * The TypeBox schema (`schema.ts`) gives the shape; the rules a schema cannot
 * say live here: unique ids, roles naming declared permissions, exactly one
 * default role, semver versions, image references, and where the data
 * directory may live.
 */
import { Value, type ValueError } from '@sinclair/typebox/value'
import { parse as parseYaml, YAMLParseError } from 'yaml'
import { ManifestSchema, type Manifest } from './schema.js'

export interface ManifestProblem {
  /** Where the problem is, e.g. `roles[1].permissions[0]`; `''` for the manifest as a whole. */
  path: string
  message: string
}

export type ManifestResult =
  | { ok: true, manifest: Manifest }
  | { ok: false, problems: ManifestProblem[] }

export type ManifestFormat = 'yaml' | 'json'

/** Manifests are small; anything bigger is a mistake (or an attack on the parser). */
export const MAX_MANIFEST_BYTES = 64 * 1024

/** Semantic Versioning 2.0.0, the official expression. */
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/

/**
 * A Docker image reference: `[host[:port]/]path[:tag][@sha256:digest]`, the
 * grammar of distribution/reference (path components lowercase, separated by
 * `.`, `_`, `__` or dashes).
 */
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*'
const DOMAIN = '(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?'
const IMAGE_REF = new RegExp(`^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$`)

/** True for a well-formed Docker image reference (`[host[:port]/]path[:tag][@sha256:digest]`). */
export const isImageRef = (ref: string): boolean => ref.length <= 256 && IMAGE_REF.test(ref)

/** Data directories may live only where a container may keep writable, persistent state. */
const DATA_ROOTS = ['/data', '/var/lib/']

/** `/roles/1/permissions/0` → `roles[1].permissions[0]`. */
export function formatPath (pointer: string): string {
  let out = ''
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (/^\d+$/.test(part)) out += `[${part}]`
    else out += out === '' ? part : `.${part}`
  }
  return out
}

/** `path: message`, or just the message for the whole manifest. */
export const describeProblem = (p: ManifestProblem): string => p.path === '' ? p.message : `${p.path}: ${p.message}`

function shapeMessage (e: ValueError): ManifestProblem {
  const path = formatPath(e.path)
  const description = (e.schema as { description?: string }).description
  if (e.message === 'Unexpected property') return { path, message: 'unknown field' }
  if (e.message === 'Expected required property') return { path, message: 'is required' }
  if (e.message.startsWith('Expected string to match') && description !== undefined) return { path, message: `must be a ${description}` }
  const message = e.message.replace(/^Expected /, 'expected ')
  return { path, message: description !== undefined && /less|greater/.test(e.message) ? `${message} (${description})` : message }
}

/** Problems in the shape (types, unknown fields, lengths, ranges), at most one per path. */
function shapeProblems (input: unknown): ManifestProblem[] {
  const seen = new Set<string>()
  const out: ManifestProblem[] = []
  for (const e of Value.Errors(ManifestSchema, input)) {
    if (seen.has(e.path)) continue
    seen.add(e.path)
    out.push(shapeMessage(e))
  }
  return out
}

function isRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

const listAt = (input: Record<string, unknown>, key: string): unknown[] => Array.isArray(input[key]) ? input[key] : []

function idOf (v: unknown): string | undefined {
  return isRecord(v) && typeof v.id === 'string' ? v.id : undefined
}

function duplicateIds (list: unknown[], field: string): ManifestProblem[] {
  const first = new Map<string, number>()
  const out: ManifestProblem[] = []
  list.forEach((item, i) => {
    const id = idOf(item)
    if (id === undefined) return
    const at = first.get(id)
    if (at === undefined) first.set(id, i)
    else out.push({ path: `${field}[${i}].id`, message: `duplicate id "${id}" (already used by ${field}[${at}])` })
  })
  return out
}

function roleProblems (input: Record<string, unknown>): ManifestProblem[] {
  const declared = new Set(listAt(input, 'permissions').map(idOf).filter((id): id is string => id !== undefined))
  const roles = listAt(input, 'roles')
  const out: ManifestProblem[] = []
  roles.forEach((role, r) => {
    if (!isRecord(role) || !Array.isArray(role.permissions)) return
    const inRole = new Set<string>()
    role.permissions.forEach((p: unknown, i) => {
      if (typeof p !== 'string') return
      if (!declared.has(p)) out.push({ path: `roles[${r}].permissions[${i}]`, message: `unknown permission "${p}" (declared: ${[...declared].join(', ') || 'none'})` })
      else if (inRole.has(p)) out.push({ path: `roles[${r}].permissions[${i}]`, message: `permission "${p}" listed twice` })
      inRole.add(p)
    })
  })
  if (roles.length > 0) {
    const defaults = roles.flatMap((role, r) => isRecord(role) && role.default === true ? [r] : [])
    if (defaults.length === 0) out.push({ path: 'roles', message: 'exactly one role must be marked "default: true" (the role offered first when sharing); none is' })
    if (defaults.length > 1) out.push({ path: 'roles', message: `exactly one role must be marked "default: true"; ${defaults.length} are (${defaults.map((r) => `roles[${r}]`).join(', ')})` })
  }
  return out
}

/** Why `path` cannot be a grain's data directory, or undefined if it can. */
export function dataPathProblem (path: string): string | undefined {
  if (!path.startsWith('/')) return 'must be an absolute path'
  const segments = path.split('/').slice(1)
  if (segments.some((s) => s === '..' || s === '.')) return 'must not contain "." or ".." segments'
  if (segments.some((s, i) => s === '' && i < segments.length - 1)) return 'must not contain empty segments ("//")'
  if (path.includes('\0')) return 'must not contain NUL'
  const clean = path.replace(/\/$/, '')
  const allowed = clean === '/data' || clean.startsWith('/data/') || (clean.startsWith('/var/lib/') && clean.length > '/var/lib/'.length)
  if (!allowed) return `must be /data, under /data/, or under /var/lib/<name> (got "${path}"; ${DATA_ROOTS.join(' and ')} are the only places a grain keeps persistent data)`
  return undefined
}

function valueProblems (input: Record<string, unknown>): ManifestProblem[] {
  const out: ManifestProblem[] = []
  if (typeof input.version === 'string' && !SEMVER.test(input.version)) out.push({ path: 'version', message: `"${input.version}" is not a semantic version (e.g. 1.2.0)` })
  if (typeof input.image === 'string' && !IMAGE_REF.test(input.image)) out.push({ path: 'image', message: `"${input.image}" is not a valid image reference (e.g. granary/notes:1.0.0 or registry.example:5000/team/app@sha256:<64 hex>)` })
  if (typeof input.dataPath === 'string') {
    const why = dataPathProblem(input.dataPath)
    if (why !== undefined) out.push({ path: 'dataPath', message: why })
  }
  return out
}

/** Checks a parsed manifest against the schema and every rule; lists every problem. */
export function validateManifest (input: unknown): ManifestResult {
  if (!isRecord(input)) return { ok: false, problems: [{ path: '', message: 'a manifest must be an object (a mapping of fields)' }] }
  const problems = [
    ...shapeProblems(input),
    ...duplicateIds(listAt(input, 'permissions'), 'permissions'),
    ...duplicateIds(listAt(input, 'roles'), 'roles'),
    ...duplicateIds(listAt(input, 'actions'), 'actions'),
    ...roleProblems(input),
    ...valueProblems(input),
  ]
  // A value can fail both a shape check and a rule (e.g. a too-short version); say the rule's reason once.
  const byPath = new Map<string, ManifestProblem>()
  for (const p of problems) {
    const key = `${p.path}\u0000${p.message}`
    if (!byPath.has(key)) byPath.set(key, p)
  }
  if (byPath.size > 0) return { ok: false, problems: [...byPath.values()] }
  return { ok: true, manifest: input as Manifest }
}

/** Parses manifest text (YAML or JSON) and validates it. Syntax errors are problems too, with line and column. */
export function parseManifest (text: string, format: ManifestFormat): ManifestResult {
  if (Buffer.byteLength(text, 'utf8') > MAX_MANIFEST_BYTES) return { ok: false, problems: [{ path: '', message: `manifest is larger than ${MAX_MANIFEST_BYTES} bytes` }] }
  let value: unknown
  try {
    value = format === 'json' ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true, maxAliasCount: 10, prettyErrors: true })
  } catch (err) {
    const message = err instanceof YAMLParseError
      ? `not valid YAML: ${err.message.split('\n')[0] ?? ''}`
      : `not valid ${format === 'json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`
    return { ok: false, problems: [{ path: '', message }] }
  }
  return validateManifest(value)
}

/** The format a file name suggests: `.json` is JSON, anything else YAML (YAML also reads JSON). */
export const formatOfFile = (name: string): ManifestFormat => name.toLowerCase().endsWith('.json') ? 'json' : 'yaml'
