/**
 * The `granary` command line (`npm run granary -- <command>`; in the
 * control-plane image `node dist/scripts/granary.js <command>`), for admins
 * and packagers on the machine that runs Granary. It finds the installation
 * with the same settings the services read: Redis at REDIS_URL (unset: the
 * private Redis the scripts run in GRANARY_DATA_DIR), the control plane over
 * its Unix socket with the shared secret (GRANARY_DATA_DIR,
 * CONTROL_PLANE_SOCKET, CONTROL_PLANE_SECRET[_FILE]).
 *
 *   granary app publish <manifest.yaml> --image <app.tar>     upload a `docker save` tarball
 *   granary app publish <manifest.yaml> --image-name <name>   use an image already in the engine
 *   granary app list
 *   granary app remove <id> [--force]
 *   granary user create <username> [--display-name N] [--role R] [--password-file F | --password-stdin]
 *   granary user password <username> [--password-file F | --password-stdin]   ends all their sessions and API tokens
 *   granary user disable|enable <username>       disabling ends all their sessions and API tokens
 *   granary user list
 *   granary grain list                           every grain with its owner and run state
 *   granary grain stop <grainId>
 *   granary grain export <grainId> [--out FILE]  a tar, to stdout when it is not a terminal
 *   granary grain import [--in FILE] --owner <username> [--title T]   prints the new grain's id
 *   granary backup [--out FILE] [--no-pause]     every Redis key and grain's data, as one tar (scripts/granary-admin.ts)
 *   granary restore [--in FILE] [--replace]      into a fresh installation
 *
 * Accounts (scripts/granary-users.ts) and grains (scripts/granary-grains.ts)
 * go through the admin API's own actions (proxy/admin/); what they change is
 * in the audit log with the actor `cli` ("command line" in the admin screen).
 * Passwords are never arguments: `ps` would show them.
 *
 * Exit status: 0 done, 1 refused or failed, 2 wrong usage.
 */
import { createReadStream, readFileSync, statSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { appsClient, type AppsClient } from '../core/apps-client.js'
import type { AppSummary } from '../core/control-plane-protocol.js'
import { describeProblem, formatOfFile, parseManifest } from '../core/manifest/validate.js'
import { CliError, UsageError, byteSize, controlPlaneAccess, parseArgs, progress, readHiddenLine, reportError, single, type CliIo } from './cli.js'
import { runAdmin } from './granary-admin.js'
import { runGrainCommand } from './granary-grains.js'
import { runUserCommand } from './granary-users.js'

export type { CliIo } from './cli.js'

const USAGE = `usage:
  granary app publish <manifest.yaml> --image <app.tar>
  granary app publish <manifest.yaml> --image-name <image in the engine>
  granary app list
  granary app remove <id> [--force]
  granary user create <username> [--display-name NAME] [--role user|admin|packager] [--password-file FILE | --password-stdin]
  granary user password <username> (--password-file FILE | --password-stdin)
  granary user disable <username>
  granary user enable <username>
  granary user list
  granary grain list
  granary grain stop <grainId>
  granary grain export <grainId> [--out FILE]
  granary grain import [--in FILE] --owner <username> [--title TITLE]
  granary backup [--out FILE] [--no-pause]
  granary restore [--in FILE] [--replace]`

function connect (env: CliIo['env']): AppsClient {
  const { socket, secret } = controlPlaneAccess(env)
  return appsClient(socket, secret)
}

async function publish (client: AppsClient, args: string[], io: CliIo): Promise<AppSummary> {
  const { positional, options } = parseArgs(args, ['--image', '--image-name'], [])
  const file = single(positional, 'publish', 'manifest file')
  const tarPath = options['--image']
  const imageName = options['--image-name']
  if ((tarPath === undefined) === (imageName === undefined)) throw new UsageError('give either --image <tarball> or --image-name <name>')
  let manifestText: string
  try {
    manifestText = readFileSync(file, 'utf8')
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`)
  }
  // The same validator as the control plane: every problem, before any upload.
  const checked = parseManifest(manifestText, formatOfFile(file))
  if (!checked.ok) throw new CliError(`${file} is not a valid manifest:\n  ${checked.problems.map(describeProblem).join('\n  ')}`)
  if (imageName !== undefined) return client.publishImage({ manifest: manifestText, image: imageName })

  let size: number
  try {
    size = statSync(tarPath ?? '').size
  } catch (err) {
    throw new CliError(`cannot read ${tarPath}: ${(err as Error).message}`)
  }
  const shown = progress(io, 'uploading', size)
  return client.publishTar({
    manifestText,
    tar: createReadStream(tarPath ?? ''),
    size,
    onProgress (sent) {
      if (sent < size) shown.report(sent)
      else (io.status ?? io.err)(`uploaded ${byteSize(size)} in ${shown.seconds()} s; loading it into the engine...`)
    },
  })
}

async function runAppCommand (command: string | undefined, args: string[], io: CliIo): Promise<void> {
  if (command === 'publish') {
    const app = await publish(connect(io.env), args, io)
    io.out(`published ${app.id} ${app.version} (image ${app.imageId.slice(0, 19)}); versions: ${app.versions.join(', ')}`)
  } else if (command === 'list') {
    if (args.length > 0) throw new UsageError('list takes no arguments')
    const apps = await connect(io.env).list()
    if (apps.length === 0) io.out('no apps')
    for (const a of apps) io.out(`${a.id.padEnd(20)} ${a.version.padEnd(10)} ${a.name} (versions: ${a.versions.join(', ')}; image ${a.imageId.slice(0, 19)})`)
  } else if (command === 'remove') {
    const { positional, set } = parseArgs(args, [], ['--force'])
    const id = single(positional, 'remove', 'app id')
    await connect(io.env).remove(id, set.has('--force'))
    io.out(`removed ${id}`)
  } else {
    throw new UsageError(command === undefined ? 'app needs a command' : `unknown command app ${command}`)
  }
}

/** Runs one command; answers the exit status. */
export async function runCli (argv: string[], io: CliIo): Promise<number> {
  const [group, command, ...args] = argv
  try {
    if (group === 'backup' || group === 'restore') await runAdmin(argv, io.env)
    else if (group === 'app') await runAppCommand(command, args, io)
    else if (group === 'user') await runUserCommand(command, args, io)
    else if (group === 'grain') await runGrainCommand(command, args, io)
    else throw new UsageError(group === undefined ? 'no command given' : `unknown command ${group}`)
    return 0
  } catch (err) {
    return reportError(err, io, USAGE)
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const tty = process.stderr.isTTY
  const { stdin } = process
  const code = await runCli(process.argv.slice(2), {
    env: process.env,
    out: (line) => { process.stdout.write(line + '\n') },
    err: (line) => { process.stderr.write((tty ? '\r\x1b[K' : '') + line + '\n') },
    status: tty ? (line) => { process.stderr.write(`\r\x1b[K${line}`) } : (line) => { process.stderr.write(line + '\n') },
    stdin,
    stdout: process.stdout,
    ...(stdin.isTTY ? { readSecret: (prompt: string) => readHiddenLine(stdin, (text) => { process.stderr.write(text) }, prompt) } : {}),
  })
  if (tty) process.stderr.write('\r\x1b[K')
  process.exitCode = code
}
