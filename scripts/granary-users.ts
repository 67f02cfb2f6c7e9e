/**
 * `granary user ...`: accounts, through the same actions as the admin API
 * (proxy/admin/accounts.ts), so the same checks, the same audit events (actor
 * `cli`) and the same "log out everywhere", which returns only once every
 * proxy has dropped the user's cached sessions. Talks to Redis only.
 *
 *   granary user create <username> [--display-name N] [--role user|admin|packager] [--password-file F | --password-stdin]
 *   granary user password <username> [--password-file F | --password-stdin]
 *   granary user disable <username>
 *   granary user enable <username>
 *   granary user list
 *
 * A password never comes as an argument (`ps` shows arguments to every user of
 * the machine): it is read from a file, or from standard input (a pipe; on a
 * terminal it is asked for twice, without being shown). A file or pipe holds
 * the password alone, optionally followed by one newline. An account created
 * without a password cannot log in with one until `granary user password`
 * sets it; the command says so.
 */
import { readFileSync } from 'node:fs'
import type { Readable } from 'node:stream'
import type { Redis } from 'ioredis'
import { CLI_ACTOR } from '../core/audit.js'
import { redisChangeFeed } from '../core/sharing/change-feed.js'
import { ROLES, type Role } from '../core/users.js'
import { accountByUsername, createAccount, resetPassword, setAccountDisabled } from '../proxy/admin/accounts.js'
import { PASSWORD_MAX } from '../proxy/auth/passwords.js'
import { loginServices, type LoginServices } from '../proxy/services.js'
import { CliError, UsageError, parseArgs, printable, single, table, utcMinute, withRedis, type CliIo } from './cli.js'

const PASSWORD_OPTIONS = ['--password-file']
const PASSWORD_FLAGS = ['--password-stdin']

/** A password argument is refused with its own message (wrong usage), before any other parsing. */
function refusePasswordArgument (args: string[]): void {
  if (args.some((a) => a === '--password' || a.startsWith('--password='))) {
    throw new UsageError('a password is never taken as an argument (`ps` shows arguments to everyone on the machine): use --password-file FILE or --password-stdin')
  }
}

/** The password alone: one trailing newline is dropped; anything else on more lines is refused. */
function onePassword (text: string, from: string): string {
  const password = text.replace(/\r?\n$/, '')
  if (/[\r\n]/.test(password)) throw new CliError(`${from} holds more than one line: put the password alone in it`)
  return password
}

async function readAll (stream: Readable, max: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk as Buffer
    size += buf.length
    if (size > max) throw new CliError('standard input holds more than a password')
    chunks.push(buf)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** The password `--password-file` or `--password-stdin` gives, or undefined when neither is given. */
async function passwordFrom (options: Record<string, string>, set: Set<string>, io: CliIo, username: string): Promise<string | undefined> {
  const file = options['--password-file']
  const stdin = set.has('--password-stdin')
  if (file !== undefined && stdin) throw new UsageError('give either --password-file or --password-stdin, not both')
  if (file !== undefined) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      throw new CliError(`cannot read ${file}: ${(err as Error).message}`)
    }
    return onePassword(text, file)
  }
  if (!stdin) return undefined
  if (io.stdin?.isTTY === true) {
    if (io.readSecret === undefined) throw new CliError('standard input is a terminal: pipe the password in, or use --password-file')
    const first = await io.readSecret(`new password for ${username}: `)
    if (first !== await io.readSecret('again: ')) throw new CliError('the two passwords differ; nothing changed')
    return first
  }
  if (io.stdin === undefined) throw new CliError('no standard input to read the password from')
  // A few bytes over the policy's limit, so an over-long password meets the policy's own message.
  return onePassword(await readAll(io.stdin, PASSWORD_MAX * 4 + 2), 'standard input')
}

/**
 * The account stores on the installation's Redis, as the proxy has them,
 * with a grain-changes feed of their own: ending sessions returns only once
 * every proxy has dropped them from its cache, as the admin API's does.
 */
async function withAccounts<T> (io: CliIo, use: (s: LoginServices) => Promise<T>): Promise<T> {
  return withRedis(io, async (redis: Redis) => {
    const subscriber = redis.duplicate()
    subscriber.on('error', () => {}) // as for `redis` (see withRedis): failures reach the commands
    const feed = await redisChangeFeed({ publisher: redis, subscriber })
    try {
      return await use(loginServices(redis, { feed }))
    } finally {
      await feed.close()
    }
  })
}

function roleOf (value: string | undefined): Role | undefined {
  if (value === undefined) return undefined
  if (!(ROLES as readonly string[]).includes(value)) throw new UsageError(`--role is one of ${ROLES.join(', ')}`)
  return value as Role
}

async function list (s: LoginServices, io: CliIo): Promise<void> {
  const users = await s.users.list()
  if (users.length === 0) {
    io.out('no users')
    return
  }
  const withPassword = await Promise.all(users.map((u) => s.passwords.has(u.id)))
  io.out(table(['USERNAME', 'ROLE', 'STATE', 'PASSWORD', 'CREATED (UTC)', 'DISPLAY NAME'], users.map((u, i) => [
    u.username, u.role, u.disabled ? 'disabled' : 'active', withPassword[i] === true ? 'set' : 'none', utcMinute(u.createdAt), printable(u.displayName),
  ])).join('\n'))
}

/** Runs `granary user <command> ...`. */
export async function runUserCommand (command: string | undefined, args: string[], io: CliIo): Promise<void> {
  refusePasswordArgument(args)
  if (command === 'list') {
    if (args.length > 0) throw new UsageError('user list takes no arguments')
    await withAccounts(io, async (s) => list(s, io))
  } else if (command === 'create') {
    const { positional, options, set } = parseArgs(args, ['--display-name', '--role', ...PASSWORD_OPTIONS], PASSWORD_FLAGS)
    const username = single(positional, 'user create', 'username')
    const role = roleOf(options['--role'])
    const displayName = options['--display-name']
    const password = await passwordFrom(options, set, io, username)
    const user = await withAccounts(io, async (s) => createAccount(s, CLI_ACTOR, {
      username, ...(displayName !== undefined ? { displayName } : {}), ...(role !== undefined ? { role } : {}), ...(password !== undefined ? { password } : {}),
    }))
    io.out(`created ${user.username} (${user.role}${user.displayName !== user.username ? `, ${printable(user.displayName)}` : ''})`)
    if (password === undefined) io.err(`note: ${user.username} has no password, so they cannot log in with one until it is set: granary user password ${user.username} --password-stdin`)
  } else if (command === 'password') {
    const { positional, options, set } = parseArgs(args, PASSWORD_OPTIONS, PASSWORD_FLAGS)
    const username = single(positional, 'user password', 'username')
    const password = await passwordFrom(options, set, io, username)
    if (password === undefined) throw new UsageError('user password needs --password-file FILE or --password-stdin')
    const user = await withAccounts(io, async (s) => {
      const found = await accountByUsername(s.users, username)
      await resetPassword(s, CLI_ACTOR, found, password)
      return found
    })
    io.out(`set the password of ${user.username}; their sessions and API tokens have ended`)
  } else if (command === 'disable' || command === 'enable') {
    const username = single(parseArgs(args, [], []).positional, `user ${command}`, 'username')
    const disabled = command === 'disable'
    const user = await withAccounts(io, async (s) => setAccountDisabled(s, CLI_ACTOR, await accountByUsername(s.users, username), disabled))
    io.out(disabled ? `disabled ${user.username}; their sessions and API tokens have ended` : `enabled ${user.username}`)
  } else {
    throw new UsageError(command === undefined ? 'user needs a command' : `unknown command user ${command}`)
  }
}
