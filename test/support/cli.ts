/**
 * An installation for tests of the `granary` command line: a test control
 * plane (./grains.ts: the fixture apps, its own labels, network, data
 * directory and Redis key prefix, all removed afterwards) listening on the
 * socket in its data directory, with the secret file beside it, and `run`,
 * which calls the command line the way an admin does: it finds the
 * installation through GRANARY_DATA_DIR and REDIS_URL alone (plus the key
 * prefix, which tests add). Commands that need only Redis (`granary user`)
 * can run without a control plane through `cliRunner`.
 */
import { writeFileSync } from 'node:fs'
import type { TestContext } from 'node:test'
import { dataPaths } from '../../core/paths.js'
import { runCli, type CliIo } from '../../scripts/granary.js'
import { testRedisUrl } from './env.js'
import { TEST_SECRET, testControlPlane, type TestControlPlane, type TestControlPlaneOptions } from './grains.js'

export interface CliRun { code: number, out: string, err: string }

export interface CliRunner {
  /** Runs `granary <argv...>`; answers its exit status and what it printed (lines joined by `\n`). */
  run(...argv: string[]): Promise<CliRun>
  /** The same, with more input or output (standard input, standard output, a terminal) or another environment. */
  runWith(io: Partial<CliIo>, ...argv: string[]): Promise<CliRun>
}

export interface CliInstallation extends CliRunner {
  cp: TestControlPlane
  dataDir: string
  /** The environment the command line gets. */
  env: Record<string, string>
}

/** The command line with this environment, on the Redis keys under `redisKeyPrefix`. */
export function cliRunner (env: Record<string, string>, redisKeyPrefix: string): CliRunner {
  const runWith = async (io: Partial<CliIo>, ...argv: string[]): Promise<CliRun> => {
    const out: string[] = []
    const err: string[] = []
    const code = await runCli(argv, { env, redisKeyPrefix, out: (l) => out.push(l), err: (l) => err.push(l), ...io })
    return { code, out: out.join('\n'), err: err.join('\n') }
  }
  return { run: (...argv) => runWith({}, ...argv), runWith }
}

export async function cliInstallation (t: TestContext, opts: TestControlPlaneOptions = {}): Promise<CliInstallation> {
  const cp = await testControlPlane(t, opts)
  const paths = dataPaths(cp.dataDir)
  writeFileSync(paths.controlPlaneSecret, TEST_SECRET + '\n', { mode: 0o600 })
  await cp.app.listen({ path: paths.controlPlaneSocket })
  const env = { GRANARY_DATA_DIR: cp.dataDir, REDIS_URL: testRedisUrl() }
  return { cp, dataDir: cp.dataDir, env, ...cliRunner(env, cp.redisKeyPrefix) }
}
