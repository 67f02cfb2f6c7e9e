// Part of `npm run build`: copies what the compiled servers read at run time
// but tsc does not emit (static files under proxy/ and control-plane/, app
// manifests) into dist/, keeping their place relative to the code.
import { cpSync, existsSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const ROOT = new URL('..', import.meta.url).pathname
const DIST = join(ROOT, 'dist')
const CODE_DIRS = ['core', 'proxy', 'control-plane']
const WHOLE_DIRS = ['manifests']
const SKIP = /\.(ts|tsx|mts|cts)$|\.test\.|(^|\/)node_modules(\/|$)/

let copied = 0
function copyAssets (dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    const rel = relative(ROOT, path)
    if (SKIP.test(rel)) continue
    if (statSync(path).isDirectory()) copyAssets(path)
    else { cpSync(path, join(DIST, rel)); copied++ }
  }
}
for (const dir of CODE_DIRS) if (existsSync(join(ROOT, dir))) copyAssets(join(ROOT, dir))
for (const dir of WHOLE_DIRS) {
  if (existsSync(join(ROOT, dir))) { cpSync(join(ROOT, dir), join(DIST, dir), { recursive: true }); copied++ }
}
console.log(`copied ${copied} asset file(s) into dist/`)
