/**
 * Granary's admin command for backups. Reads the control plane's settings
 * (REDIS_URL, GRANARY_DATA_DIR, DOCKER_SOCKET) from the environment, so run it
 * where the control plane runs: in the compose stack through
 * `scripts/backup.sh` / `scripts/restore.sh`, or directly:
 *
 *   granary-admin backup [--out FILE] [--no-pause]   # tar to FILE or stdout
 *   granary-admin restore [--in FILE] [--replace]    # tar from FILE or stdin
 *
 * Also reachable as `granary backup ...` / `granary restore ...` (scripts/granary.ts).
 *
 * backup: reads every Redis key, pauses this installation's running grain
 * containers, copies every grain's data, unpauses them. Stop the proxy first
 * for a fully consistent backup (backup.sh does).
 * restore: into a fresh installation (refused when Redis holds keys, unless
 * --replace, which empties it first). Restart the control plane and the proxy
 * afterwards.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import type { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { pathToFileURL } from 'node:url'
import Docker from 'dockerode'
import { readBackup, writeBackup } from '../core/backup.js'
import { connectRedis } from '../core/redis.js'
import { loadControlPlaneConfig } from '../core/settings.js'
import { loadOrExit } from '../core/start.js'
import { GRAIN_UID } from '../control-plane/container-spec.js'

const GRAIN_LABEL = 'granary.grain'

type Env = Readonly<Record<string, string | undefined>>

const USAGE = `usage:
  granary-admin backup [--out FILE] [--no-pause]
  granary-admin restore [--in FILE] [--replace]`

function flag (args: string[], name: string): boolean {
  const i = args.indexOf(name)
  if (i >= 0) args.splice(i, 1)
  return i >= 0
}
function option (args: string[], name: string): string | undefined {
  const i = args.indexOf(name)
  if (i < 0) return undefined
  const value = args[i + 1]
  if (value === undefined) throw new Error(`${name} needs a value`)
  args.splice(i, 2)
  return value
}
const log = (msg: string): void => { process.stderr.write(`[granary-admin] ${msg}\n`) }

/** Pauses the running containers of these grains; returns a function that unpauses exactly those. */
async function pauseGrains (docker: Docker, grainIds: string[]): Promise<() => Promise<void>> {
  const wanted = new Set(grainIds)
  const running = await docker.listContainers({ filters: JSON.stringify({ label: [GRAIN_LABEL], status: ['running'] }) })
  const mine = running.filter((c) => wanted.has(c.Labels[GRAIN_LABEL] ?? ''))
  const paused: string[] = []
  for (const c of mine) {
    try {
      await docker.getContainer(c.Id).pause()
      paused.push(c.Id)
    } catch (err) {
      log(`could not pause ${c.Id.slice(0, 12)}: ${(err as Error).message}`)
    }
  }
  log(`paused ${paused.length} running grain(s) for the copy`)
  return async () => {
    for (const id of paused) await docker.getContainer(id).unpause().catch((err: Error) => log(`could not unpause ${id.slice(0, 12)}: ${err.message}`))
  }
}

async function backup (args: string[], env: Env): Promise<void> {
  const out = option(args, '--out')
  const noPause = flag(args, '--no-pause')
  if (args.length > 0) throw new Error(USAGE)
  const config = loadOrExit('granary-admin', () => loadControlPlaneConfig(env))
  if (config.redisUrl === undefined) throw new Error('REDIS_URL is not set')
  const redis = connectRedis(config.redisUrl)
  const docker = new Docker({ socketPath: config.dockerSocket })
  let unpause = async (): Promise<void> => {}
  try {
    const stream = writeBackup({
      redis,
      dataDir: config.dataDir,
      beforeFiles: async (ids) => { if (!noPause) unpause = await pauseGrains(docker, ids) },
    })
    const sink: Writable = out === undefined ? process.stdout : createWriteStream(out, { mode: 0o600 })
    await pipeline(stream, sink)
    log(`backup written${out === undefined ? ' to stdout' : ` to ${out}`}`)
  } finally {
    await unpause()
    await redis.quit()
  }
}

async function restore (args: string[], env: Env): Promise<void> {
  const input = option(args, '--in')
  const replace = flag(args, '--replace')
  if (args.length > 0) throw new Error(USAGE)
  const config = loadOrExit('granary-admin', () => loadControlPlaneConfig(env))
  if (config.redisUrl === undefined) throw new Error('REDIS_URL is not set')
  const redis = connectRedis(config.redisUrl)
  try {
    const source: Readable = input === undefined ? process.stdin : createReadStream(input)
    const manifest = await readBackup(source, {
      redis,
      dataDir: config.dataDir,
      replace,
      ...(process.getuid?.() === 0 ? { owner: { uid: GRAIN_UID, gid: GRAIN_UID } } : {}),
    })
    log(`restored ${manifest.redisKeys} Redis keys and ${manifest.grains.length} grain(s) from a backup of ${new Date(manifest.createdAt).toISOString()}; restart the control plane and the proxy`)
  } finally {
    await redis.quit()
  }
}

/** Runs `backup ...` or `restore ...` (also reachable as `granary admin ...`). */
export async function runAdmin (args: string[], env: Env = process.env): Promise<void> {
  const [command, ...rest] = args
  if (command === 'backup') await backup(rest, env)
  else if (command === 'restore') await restore(rest, env)
  else throw new Error(USAGE)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await runAdmin(process.argv.slice(2))
  } catch (err) {
    log(`error: ${(err as Error).message}`)
    process.exitCode = 1
  }
}
