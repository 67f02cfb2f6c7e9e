/**
 * `granary grain ...`: every grain with its run state, stopping one, and
 * moving one between installations (or owners) as a tar. Listing and stopping
 * go through the same actions as the admin API (proxy/admin/grains.ts; a stop
 * is recorded in the audit log with actor `cli`); export and import through
 * the control plane's archive routes (core/grain-archive-client.ts), as the
 * proxy's API does, but for any grain and any owner.
 *
 *   granary grain list
 *   granary grain stop <grainId>
 *   granary grain export <grainId> [--out FILE]       the tar to FILE, or to standard output when that is not a terminal
 *   granary grain import [--in FILE] --owner <username> [--title T]   a new grain of that user; prints its id
 *
 * Exporting stops the grain first, so its files are settled; it starts again
 * on its next request. Progress goes to standard error.
 */
import { createReadStream, createWriteStream, statSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { Transform, type Readable, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { CLI_ACTOR, redisAuditLog } from '../core/audit.js'
import { GRAIN_ERR_NOT_FOUND } from '../core/errors.js'
import { grainArchiveClient } from '../core/grain-archive-client.js'
import { redisGrainRecordStore } from '../core/grain-records.js'
import { redisUserStore } from '../core/users.js'
import { accountByUsername } from '../proxy/admin/accounts.js'
import { listGrainsWithState, stopGrain } from '../proxy/admin/grains.js'
import { controlPlaneClient } from '../proxy/control-plane-client.js'
import { CliError, UsageError, byteSize, clip, controlPlaneAccess, parseArgs, printable, progress, single, table, utcMinute, withRedis, type CliIo } from './cli.js'

/** Titles are cut to this many characters in the list (`grain export` and the admin screen show them whole). */
const LIST_TITLE_MAX = 40
const LIST_REASON_MAX = 60

async function list (io: CliIo): Promise<void> {
  const { socket, secret } = controlPlaneAccess(io.env)
  const grains = await withRedis(io, async (redis) => listGrainsWithState({ grains: redisGrainRecordStore(redis), users: redisUserStore(redis), controlPlane: controlPlaneClient(socket, secret) }))
  if (grains.length === 0) {
    io.out('no grains')
    return
  }
  io.out(table(['ID', 'TITLE', 'APP', 'OWNER', 'STATE', 'LAST USED (UTC)', 'REASON'], grains.map((g) => [
    g.id, clip(printable(g.title), LIST_TITLE_MAX), `${g.appId}@${g.appVersion}`, g.ownerUsername || '(deleted account)', g.state, utcMinute(g.lastUsedAt),
    clip(printable(g.reason?.split('\n')[0] ?? ''), LIST_REASON_MAX),
  ])).join('\n'))
}

/** Counts the bytes that pass. */
function counter (onBytes: (total: number) => void): Transform {
  let total = 0
  return new Transform({
    transform (chunk: Buffer, _encoding, done) {
      total += chunk.length
      onBytes(total)
      done(null, chunk)
    },
  })
}

async function exportGrain (args: string[], io: CliIo): Promise<void> {
  const { positional, options } = parseArgs(args, ['--out'], [])
  const grainId = single(positional, 'grain export', 'grain id')
  const out = options['--out']
  if (out === undefined && (io.stdout === undefined || io.stdout.isTTY === true)) throw new UsageError('grain export writes a tar: give --out FILE, or redirect standard output to a file')
  const { socket, secret } = controlPlaneAccess(io.env)
  // One Redis connection for the lookup and the audit entry; the archive streams after it is closed.
  const { grain, tar } = await withRedis(io, async (redis) => {
    const grain = await redisGrainRecordStore(redis).get(grainId)
    if (grain === undefined) throw new GRAIN_ERR_NOT_FOUND(grainId)
    const tar = await grainArchiveClient(socket, secret).exportGrain(grain.id)
    await redisAuditLog(redis).record({ action: 'grain-export', actor: CLI_ACTOR, grainId: grain.id })
    return { grain, tar }
  })
  const shown = progress(io, 'exported')
  let bytes = 0
  const sink: Writable = out === undefined ? io.stdout as Writable : createWriteStream(out, { mode: 0o600 })
  try {
    await pipeline(tar, counter((n) => { bytes = n; shown.report(n) }), sink)
  } catch (err) {
    if (out !== undefined) await rm(out, { force: true })
    throw new CliError(`the export of ${grain.id} broke off after ${byteSize(bytes)}: ${(err as Error).message}`)
  }
  io.err(`exported "${printable(grain.title)}" (${grain.appId}@${grain.appVersion}, ${byteSize(bytes)}) in ${shown.seconds()} s${out === undefined ? '' : ` to ${out}`}; the grain was stopped for it and starts again on its next request`)
}

async function importGrain (args: string[], io: CliIo): Promise<void> {
  const { positional, options } = parseArgs(args, ['--in', '--owner', '--title'], [])
  if (positional.length > 0) throw new UsageError('grain import takes no arguments but options: --owner <username> [--in FILE] [--title T]')
  const owner = options['--owner']
  if (owner === undefined) throw new UsageError('grain import needs --owner <username>: the user the new grain belongs to')
  const input = options['--in']
  const title = options['--title']
  if (input === undefined && (io.stdin === undefined || io.stdin.isTTY === true)) throw new UsageError('grain import reads a tar: give --in FILE, or redirect standard input from a file')
  let size: number | undefined
  if (input !== undefined) {
    try {
      size = statSync(input).size
    } catch (err) {
      throw new CliError(`cannot read ${input}: ${(err as Error).message}`)
    }
  }
  const { socket, secret } = controlPlaneAccess(io.env)
  const shown = progress(io, 'imported', size)
  let sent = 0
  const { user, grain } = await withRedis(io, async (redis) => {
    const user = await accountByUsername(redisUserStore(redis), owner)
    const tar: Readable = input === undefined ? io.stdin as Readable : createReadStream(input)
    // Listening for data right before the archive client pipes it (same tick): no chunk is missed.
    tar.on('data', (chunk: Buffer) => { sent += chunk.length; shown.report(sent) })
    const grain = await grainArchiveClient(socket, secret).importGrain({ owner: user.id, tar, ...(size !== undefined ? { size } : {}), ...(title !== undefined ? { title } : {}) })
    await redisAuditLog(redis).record({ action: 'grain-import', actor: CLI_ACTOR, grainId: grain.id, details: { owner: user.id } })
    return { user, grain }
  })
  io.out(grain.id)
  io.err(`imported "${printable(grain.title)}" (${grain.appId}@${grain.appVersion}, ${byteSize(sent)}) in ${shown.seconds()} s as grain ${grain.id}, owned by ${user.username}`)
}

/** Runs `granary grain <command> ...`. */
export async function runGrainCommand (command: string | undefined, args: string[], io: CliIo): Promise<void> {
  if (command === 'list') {
    if (args.length > 0) throw new UsageError('grain list takes no arguments')
    await list(io)
  } else if (command === 'stop') {
    const grainId = single(parseArgs(args, [], []).positional, 'grain stop', 'grain id')
    const { socket, secret } = controlPlaneAccess(io.env)
    const grain = await withRedis(io, async (redis) => stopGrain({ grains: redisGrainRecordStore(redis), controlPlane: controlPlaneClient(socket, secret), audit: redisAuditLog(redis) }, CLI_ACTOR, grainId))
    io.out(`stopped ${grain.id} ("${printable(grain.title)}"); it starts again on its next request`)
  } else if (command === 'export') {
    await exportGrain(args, io)
  } else if (command === 'import') {
    await importGrain(args, io)
  } else {
    throw new UsageError(command === undefined ? 'grain needs a command' : `unknown command grain ${command}`)
  }
}
