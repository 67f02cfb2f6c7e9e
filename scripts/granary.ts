/**
 * The `granary` command line (`npm run granary -- <command>`), for admins and
 * packagers on the machine that runs Granary. It talks to the control plane
 * over its Unix socket with the shared secret, found like the proxy finds
 * them (GRANARY_DATA_DIR, CONTROL_PLANE_SOCKET, CONTROL_PLANE_SECRET[_FILE]).
 *
 *   granary app publish <manifest.yaml> --image <app.tar>     upload a `docker save` tarball
 *   granary app publish <manifest.yaml> --image-name <name>   use an image already in the engine
 *   granary app list
 *   granary app remove <id> [--force]
 *   granary backup [--out FILE] [--no-pause]     every Redis key and grain's data, as one tar (scripts/granary-admin.ts)
 *   granary restore [--in FILE] [--replace]      into a fresh installation
 *
 * Exit status: 0 done, 1 refused or failed, 2 wrong usage.
 */
import { createReadStream, readFileSync, statSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { appsClient, ControlPlaneError, type AppsClient } from '../core/apps-client.js'
import { loadConfig } from '../core/config.js'
import type { AppSummary } from '../core/control-plane-protocol.js'
import { describeProblem, formatOfFile, parseManifest } from '../core/manifest/validate.js'
import { dataPaths } from '../core/paths.js'
import { commonSettings } from '../core/settings.js'
import { runAdmin } from './granary-admin.js'

const USAGE = `usage:
  granary app publish <manifest.yaml> --image <app.tar>
  granary app publish <manifest.yaml> --image-name <image in the engine>
  granary app list
  granary app remove <id> [--force]
  granary backup [--out FILE] [--no-pause]
  granary restore [--in FILE] [--replace]`

const PROGRESS_EVERY_MS = 500

export interface CliIo {
  env: Readonly<Record<string, string | undefined>>
  out: (line: string) => void
  err: (line: string) => void
  /** Rewrites the current status line (a TTY), or prints it. */
  status?: (line: string) => void
}

class UsageError extends Error {}

const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`

/** Picks `--name value` options and `--flag`s out of the arguments. */
function parseArgs (args: string[], valued: string[], flags: string[]): { positional: string[], options: Record<string, string>, set: Set<string> } {
  const positional: string[] = []
  const options: Record<string, string> = {}
  const set = new Set<string>()
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? ''
    if (valued.includes(arg)) {
      const value = args[++i]
      if (value === undefined) throw new UsageError(`${arg} needs a value`)
      options[arg] = value
    } else if (flags.includes(arg)) set.add(arg)
    else if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`)
    else positional.push(arg)
  }
  return { positional, options, set }
}

function connect (env: CliIo['env']): AppsClient {
  const config = loadConfig(commonSettings, env)
  const paths = dataPaths(config.dataDir)
  const socket = config.controlPlaneSocket ?? paths.controlPlaneSocket
  let secret = config.controlPlaneSecret
  if (secret === undefined) {
    try {
      secret = readFileSync(paths.controlPlaneSecret, 'utf8').trim()
    } catch {
      throw new ControlPlaneError(0, 'ERR_NO_SECRET', `cannot read the control plane secret ${paths.controlPlaneSecret}: is Granary set up with GRANARY_DATA_DIR=${config.dataDir}?`)
    }
  }
  return appsClient(socket, secret)
}

async function publish (client: AppsClient, args: string[], io: CliIo): Promise<AppSummary> {
  const { positional, options } = parseArgs(args, ['--image', '--image-name'], [])
  const [file, ...extra] = positional
  if (file === undefined || extra.length > 0) throw new UsageError('publish takes one manifest file')
  const tarPath = options['--image']
  const imageName = options['--image-name']
  if ((tarPath === undefined) === (imageName === undefined)) throw new UsageError('give either --image <tarball> or --image-name <name>')
  let manifestText: string
  try {
    manifestText = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ControlPlaneError(0, 'ERR_FILE', `cannot read ${file}: ${(err as Error).message}`)
  }
  // The same validator as the control plane: every problem, before any upload.
  const checked = parseManifest(manifestText, formatOfFile(file))
  if (!checked.ok) throw new ControlPlaneError(0, 'APP_ERR_INVALID_MANIFEST', `${file} is not a valid manifest:\n  ${checked.problems.map(describeProblem).join('\n  ')}`)
  if (imageName !== undefined) return client.publishImage({ manifest: manifestText, image: imageName })

  let size: number
  try {
    size = statSync(tarPath ?? '').size
  } catch (err) {
    throw new ControlPlaneError(0, 'ERR_FILE', `cannot read ${tarPath}: ${(err as Error).message}`)
  }
  const status = io.status ?? io.err
  let last = 0
  const started = Date.now()
  const app = await client.publishTar({
    manifestText,
    tar: createReadStream(tarPath ?? ''),
    size,
    onProgress (sent) {
      const now = Date.now()
      if (sent < size && now - last < PROGRESS_EVERY_MS) return
      last = now
      status(sent < size
        ? `uploading ${mib(sent)} of ${mib(size)} (${Math.floor(sent * 100 / size)}%)`
        : `uploaded ${mib(size)} in ${((now - started) / 1000).toFixed(1)} s; loading it into the engine...`)
    },
  })
  return app
}

/** Runs one command; answers the exit status. */
export async function runCli (argv: string[], io: CliIo): Promise<number> {
  const [group, command, ...args] = argv
  try {
    if (group === 'backup' || group === 'restore') {
      await runAdmin(argv, io.env)
      return 0
    }
    if (group !== 'app' || command === undefined) throw new UsageError(group === undefined ? 'no command given' : `unknown command ${[group, command].filter((w) => w !== undefined).join(' ')}`)
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
      if (positional.length !== 1) throw new UsageError('remove takes one app id')
      const id = positional[0] ?? ''
      await connect(io.env).remove(id, set.has('--force'))
      io.out(`removed ${id}`)
    } else {
      throw new UsageError(`unknown command app ${command}`)
    }
    return 0
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`granary: ${err.message}\n${USAGE}`)
      return 2
    }
    if (err instanceof ControlPlaneError) {
      io.err(`granary: ${err.message}${err.code.startsWith('ERR_') || err.status === 0 ? '' : ` (${err.code})`}`)
      return 1
    }
    io.err(`granary: ${(err as Error).message}`)
    return 1
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const tty = process.stderr.isTTY
  const code = await runCli(process.argv.slice(2), {
    env: process.env,
    out: (line) => { process.stdout.write(line + '\n') },
    err: (line) => { process.stderr.write((tty ? '\r\x1b[K' : '') + line + '\n') },
    status: tty ? (line) => { process.stderr.write(`\r\x1b[K${line}`) } : (line) => { process.stderr.write(line + '\n') },
  })
  if (tty) process.stderr.write('\r\x1b[K')
  process.exitCode = code
}
