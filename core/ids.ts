/**
 * Identifiers. Grain ids are used as DNS labels (`<grainId>.<base domain>`),
 * so every id is lowercase letters and digits only.
 */
import { randomBytes } from 'node:crypto'

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'

/** `n` random characters of lowercase base32 (5 bits each). */
export function randomId (n = 20): string {
  const bytes = randomBytes(n)
  let out = ''
  for (const b of bytes) out += ALPHABET[b & 31]
  return out
}

export const ID_PATTERN = '^[a-z2-7]{8,40}$'
export const isId = (s: string): boolean => /^[a-z2-7]{8,40}$/.test(s)

/** A secret token for URLs and headers: 256 bits, base64url. */
export const secretToken = (): string => randomBytes(32).toString('base64url')
