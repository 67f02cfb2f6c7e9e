/**
 * Semantic Versioning 2.0.0 precedence, for "is this app version newer".
 * Build metadata (`+...`) is ignored; a pre-release sorts before its release
 * (`1.0.0-rc.1` < `1.0.0`); numeric identifiers compare as numbers.
 * Callers pass versions the manifest validator accepted.
 */

const PARTS = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/

function parse (v: string): { core: [number, number, number], pre: string[] } {
  const m = PARTS.exec(v)
  if (m === null) throw new Error(`not a semantic version: ${v}`)
  return { core: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] === undefined ? [] : m[4].split('.') }
}

function compareIdentifiers (a: string, b: string): number {
  const an = /^\d+$/.test(a)
  const bn = /^\d+$/.test(b)
  if (an && bn) return Math.sign(Number(a) - Number(b))
  if (an !== bn) return an ? -1 : 1
  return a < b ? -1 : a > b ? 1 : 0
}

/** Negative if a < b, 0 if they have the same precedence, positive if a > b. */
export function compareSemver (a: string, b: string): number {
  const pa = parse(a)
  const pb = parse(b)
  for (let i = 0; i < 3; i++) {
    const d = Math.sign(pa.core[i]! - pb.core[i]!)
    if (d !== 0) return d
  }
  if (pa.pre.length === 0 || pb.pre.length === 0) return pa.pre.length === pb.pre.length ? 0 : pa.pre.length === 0 ? 1 : -1
  for (let i = 0; i < Math.min(pa.pre.length, pb.pre.length); i++) {
    const d = compareIdentifiers(pa.pre[i]!, pb.pre[i]!)
    if (d !== 0) return d
  }
  return Math.sign(pa.pre.length - pb.pre.length)
}
