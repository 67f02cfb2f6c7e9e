import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { describeProblem, parseManifest, validateManifest } from './validate.js'

const good = (): Record<string, any> => ({
  id: 'notes',
  name: 'Notes',
  version: '1.0.0',
  image: 'granary/notes:local',
  port: 8000,
  dataPath: '/data',
  permissions: [{ id: 'read', title: 'Read' }, { id: 'write', title: 'Write' }],
  roles: [
    { id: 'viewer', title: 'Viewer', permissions: ['read'] },
    { id: 'editor', title: 'Editor', permissions: ['read', 'write'], default: true },
  ],
  actions: [{ id: 'new', title: 'New note' }],
  limits: { memoryMb: 128, cpus: 0.5, pids: 64 },
})

type M = Record<string, any>

function problemsOf (edit: (m: M) => void): string[] {
  const m = good() as M
  edit(m)
  const res = validateManifest(m)
  return res.ok ? [] : res.problems.map(describeProblem)
}

const cases: Array<[string, (m: M) => void, string[]]> = [
  ['unknown top-level field', (m) => { m.colour = 'red' }, ['colour: unknown field']],
  ['unknown nested field', (m) => { m.roles[1].extra = 1 }, ['roles[1].extra: unknown field']],
  ['unknown permission in a role', (m) => { m.roles[1].permissions = ['read', 'wrte'] }, ['roles[1].permissions[1]: unknown permission "wrte" (declared: read, write)']],
  ['permission listed twice in a role', (m) => { m.roles[1].permissions = ['read', 'read'] }, ['roles[1].permissions[1]: permission "read" listed twice']],
  ['duplicate permission id', (m) => { m.permissions.push({ id: 'read', title: 'Again' }) }, ['permissions[2].id: duplicate id "read" (already used by permissions[0])']],
  ['duplicate role id', (m) => { m.roles.push({ id: 'viewer', title: 'V2', permissions: [] }) }, ['roles[2].id: duplicate id "viewer" (already used by roles[0])']],
  ['duplicate action id', (m) => { m.actions.push({ id: 'new', title: 'Again' }) }, ['actions[1].id: duplicate id "new" (already used by actions[0])']],
  ['no default role', (m) => { delete m.roles[1].default }, ['roles: exactly one role must be marked "default: true" (the role offered first when sharing); none is']],
  ['two default roles', (m) => { m.roles[0].default = true }, ['roles: exactly one role must be marked "default: true"; 2 are (roles[0], roles[1])']],
  ['port too high', (m) => { m.port = 70000 }, ['port: expected integer to be less or equal to 65535 (grains run as an unprivileged user, so 1024-65535)']],
  ['privileged port', (m) => { m.port = 80 }, ['port: expected integer to be greater or equal to 1024 (grains run as an unprivileged user, so 1024-65535)']],
  ['port not an integer', (m) => { m.port = 80.5 }, ['port: expected integer']],
  ['port as a string', (m) => { m.port = '8000' }, ['port: expected integer']],
  ['version not semver', (m) => { m.version = '1.0' }, ['version: "1.0" is not a semantic version (e.g. 1.2.0)']],
  ['version with leading zero', (m) => { m.version = '01.0.0' }, ['version: "01.0.0" is not a semantic version (e.g. 1.2.0)']],
  ['relative dataPath', (m) => { m.dataPath = 'data' }, ['dataPath: must be an absolute path']],
  ['dataPath escaping with ..', (m) => { m.dataPath = '/data/../etc' }, ['dataPath: must not contain "." or ".." segments']],
  ['dataPath with //', (m) => { m.dataPath = '/data//x' }, ['dataPath: must not contain empty segments ("//")']],
  ['dataPath at /', (m) => { m.dataPath = '/' }, ['dataPath: must be /data, under /data/, or under /var/lib/<name> (got "/"; /data and /var/lib/ are the only places a grain keeps persistent data)']],
  ['missing field', (m) => { delete m.image }, ['image: is required']],
  ['bad id', (m) => { m.id = 'Notes!' }, ['id: must be a lowercase id: letters, digits, "-"']],
  ['memory limit too small', (m) => { m.limits.memoryMb = 4 }, ['limits.memoryMb: expected integer to be greater or equal to 16']],
  ['memory limit too big', (m) => { m.limits.memoryMb = 1e6 }, ['limits.memoryMb: expected integer to be less or equal to 65536']],
  ['cpus zero', (m) => { m.limits.cpus = 0 }, ['limits.cpus: expected number to be greater than 0']],
  ['pids too few', (m) => { m.limits.pids = 2 }, ['limits.pids: expected integer to be greater or equal to 8']],
  ['no permissions', (m) => { m.permissions = []; m.roles = [{ id: 'r', title: 'R', permissions: [], default: true }] }, ['permissions: expected array length to be greater or equal to 1']],
  ['idle timeout too long', (m) => { m.idleTimeoutMs = 1e9 }, ['idleTimeoutMs: expected integer to be less or equal to 86400000']],
]

for (const [name, edit, expected] of cases) {
  test(`manifest rule: ${name}`, () => {
    assert.deepEqual(problemsOf(edit), expected)
  })
}

test('the good manifest passes and comes back unchanged', () => {
  const res = validateManifest(good())
  assert.equal(res.ok, true)
  assert.deepEqual(res.ok && res.manifest, good())
})

test('every problem is listed at once, not just the first', () => {
  const problems = problemsOf((m) => {
    m.colour = 'red'
    m.version = 'one'
    m.port = 0
    m.roles[0].permissions = ['wrte']
    m.actions.push({ id: 'new', title: 'x' })
  })
  assert.deepEqual(problems.sort(), [
    'actions[1].id: duplicate id "new" (already used by actions[0])',
    'colour: unknown field',
    'port: expected integer to be greater or equal to 1024 (grains run as an unprivileged user, so 1024-65535)',
    'roles[0].permissions[0]: unknown permission "wrte" (declared: read, write)',
    'version: "one" is not a semantic version (e.g. 1.2.0)',
  ])
})

test('data directories: only /data and /var/lib/<name> are writable, persistent places', () => {
  const ok = ['/data', '/data/', '/data/notes', '/var/lib/app', '/var/lib/app/db']
  const refused = ['/', '/proc', '/proc/self', '/etc', '/etc/app', '/tmp', '/tmp/data', '/var/lib', '/var/lib/', '/database', '/dev/shm', '/sys', '/usr/share', '/data/./x', '/var/lib/../../etc']
  for (const dataPath of ok) assert.deepEqual(problemsOf((m) => { m.dataPath = dataPath }), [], dataPath)
  for (const dataPath of refused) {
    const problems = problemsOf((m) => { m.dataPath = dataPath })
    assert.equal(problems.length, 1, dataPath)
    assert.match(problems[0]!, /^dataPath: /, dataPath)
  }
})

test('image references: well-formed ones pass, malformed ones are refused', () => {
  const ok = ['notes', 'granary/notes:local', 'registry.example:5000/team/app:1.0.0', 'localhost:5000/a_b/c__d:v1.2-rc.1', `app@sha256:${'a'.repeat(64)}`, `ghcr.io/o/app:1@sha256:${'0'.repeat(64)}`]
  const refused = ['Granary/Notes', 'notes:', ':tag', 'notes:tag:tag', 'a//b', 'notes@sha256:abc', 'notes tag', '-notes', 'notes:-tag', 'https://registry/app']
  for (const image of ok) assert.deepEqual(problemsOf((m) => { m.image = image }), [], image)
  for (const image of refused) {
    const problems = problemsOf((m) => { m.image = image })
    assert.deepEqual(problems, [`image: "${image}" is not a valid image reference (e.g. granary/notes:1.0.0 or registry.example:5000/team/app@sha256:<64 hex>)`], image)
  }
})

test('semantic versions: pre-release and build metadata pass, other strings do not', () => {
  for (const version of ['0.0.1', '1.2.3', '10.20.30', '1.0.0-alpha.1', '1.0.0+build.5', '2.0.0-rc.1+sha.abc']) {
    assert.deepEqual(problemsOf((m) => { m.version = version }), [], version)
  }
  for (const version of ['1', '1.2', 'v1.2.3', '1.2.3.4', '1.2.3-', '1.2.3-01', ' 1.2.3']) {
    assert.equal(problemsOf((m) => { m.version = version }).length, 1, version)
  }
})

test('a manifest that is not an object is refused with one clear problem', () => {
  for (const input of [null, 42, 'notes', [good()]]) {
    assert.deepEqual(validateManifest(input), { ok: false, problems: [{ path: '', message: 'a manifest must be an object (a mapping of fields)' }] })
  }
})

test('parseManifest reads YAML and JSON and reports syntax errors as problems', () => {
  const json = parseManifest(JSON.stringify(good()), 'json')
  assert.equal(json.ok, true)
  const broken = parseManifest('{"id": ', 'json')
  assert.equal(broken.ok, false)
  assert.match(!broken.ok ? broken.problems[0]!.message : '', /^not valid JSON/)
  const yamlBroken = parseManifest('id: notes\n  name: [unclosed', 'yaml')
  assert.equal(yamlBroken.ok, false)
  assert.match(!yamlBroken.ok ? yamlBroken.problems[0]!.message : '', /^not valid YAML/)
  const dupKey = parseManifest('id: notes\nid: other\n', 'yaml')
  assert.match(!dupKey.ok ? dupKey.problems[0]!.message : '', /not valid YAML: Map keys must be unique/)
})

test('parseManifest refuses alias bombs and oversized text', () => {
  const bomb = 'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n'
  const res = parseManifest(bomb, 'yaml')
  assert.equal(res.ok, false)
  assert.match(!res.ok ? res.problems[0]!.message : '', /not valid YAML/)
  const big = parseManifest(`id: notes\nname: "${'x'.repeat(70_000)}"\n`, 'yaml')
  assert.deepEqual(big, { ok: false, problems: [{ path: '', message: 'manifest is larger than 65536 bytes' }] })
})

test('the shipped manifests are valid', () => {
  for (const file of ['notes.yaml', 'board.yaml']) {
    const res = parseManifest(readFileSync(new URL(`../../manifests/${file}`, import.meta.url), 'utf8'), 'yaml')
    assert.deepEqual(res.ok ? [] : res.problems.map(describeProblem), [], file)
  }
})
