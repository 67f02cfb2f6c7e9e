/**
 * Stages the Docker build context of one example app, with no registry:
 * `node --import tsx scripts/stage-grain-image.ts <app> <dir>`.
 *
 * - copies `grain-images/<app>/` into `<dir>/`, following symlinks (so an app
 *   may link shared code, e.g. `shared -> ../shared`) and leaving tests out;
 * - copies the npm packages its `package.json` depends on (and theirs), from
 *   the repository's own `node_modules`, into `<dir>/node_modules/`;
 * - prints a hash of everything staged, so the build script rebuilds an image
 *   only when its sources changed.
 *
 * An app without a `package.json` gets its folder copied and nothing else.
 */
import { createHash } from 'node:crypto'
import { cpSync, existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '..')

function dependenciesOf (packageDir: string): string[] {
  const file = join(packageDir, 'package.json')
  if (!existsSync(file)) return []
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as { dependencies?: Record<string, string> }
  return Object.keys(pkg.dependencies ?? {})
}

/** Every package `names` need, transitively, as folders of the repository's node_modules. */
function closure (names: string[]): string[] {
  const seen = new Set<string>()
  const todo = [...names]
  for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
    if (seen.has(name)) continue
    const dir = join(ROOT, 'node_modules', name)
    if (!existsSync(dir)) throw new Error(`package "${name}" is not installed in ${join(ROOT, 'node_modules')}: add it to the root package.json and run npm ci`)
    seen.add(name)
    todo.push(...dependenciesOf(dir))
  }
  return [...seen].sort()
}

function filesUnder (dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort()
}

function hashOf (dir: string): string {
  const hash = createHash('sha256')
  for (const file of filesUnder(dir)) hash.update(`${file}\0`).update(readFileSync(join(dir, file))).update('\0')
  return hash.digest('hex').slice(0, 32)
}

const [app, out] = process.argv.slice(2)
if (app === undefined || out === undefined || !/^[a-z0-9][a-z0-9_-]*$/.test(app)) {
  process.stderr.write('usage: stage-grain-image.ts <app> <context dir>\n')
  process.exit(2)
}
const source = join(ROOT, 'grain-images', app)
cpSync(source, out, {
  recursive: true,
  dereference: true,
  filter: (src) => !src.endsWith('.test.ts') && !relative(source, src).split('/').includes('node_modules'),
})
for (const name of closure(dependenciesOf(source))) {
  cpSync(join(ROOT, 'node_modules', name), join(out, 'node_modules', name), { recursive: true, dereference: true })
}
process.stdout.write(hashOf(out) + '\n')
