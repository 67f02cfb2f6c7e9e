import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { configTable } from '../scripts/config-table.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

test('README.md configuration table matches the settings in code', () => {
  const block = /<!-- config-table:start -->\n([\s\S]*?)\n<!-- config-table:end -->/.exec(readme)
  assert.ok(block, 'README.md has the config-table markers')
  assert.equal(block[1], configTable(), 'run `npm run config:table` and paste its output into README.md')
})

test('README.md keeps exactly the two set-up commands', () => {
  const shellBlocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.trim())
  assert.deepEqual(shellBlocks, ['npm start', 'npm test'])
})
