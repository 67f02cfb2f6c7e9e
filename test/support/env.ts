/**
 * The one place tests learn about the machine: the Redis the test command
 * provisioned (REDIS_URL) and the Docker engine. Tests pass these into
 * `build()` as literal options; nothing else in a test reads `process.env`.
 */
import { randomBytes } from 'node:crypto'

export function testRedisUrl (): string {
  const url = process.env.REDIS_URL
  if (url === undefined || url === '') throw new Error('REDIS_URL is not set: run the tests through `npm test`, which provisions Redis')
  return url
}

/** A key prefix unique to one test, so test files running side by side never share keys. */
export const uniquePrefix = (): string => `test:${randomBytes(6).toString('hex')}:`

/** A run id for labelling Docker resources a test creates (`granary.test=<id>`). */
export const testRunId = (): string => randomBytes(6).toString('hex')
