import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { ConfigError } from './config.js'
import { loadProxyConfig } from './settings.js'

test('defaults apply when nothing is set, and the result is frozen', () => {
  const config = loadProxyConfig({})
  assert.equal(config.port, 8443)
  assert.equal(config.baseDomain, 'granary.localhost')
  assert.equal(config.redisUrl, undefined)
  assert.ok(Object.isFrozen(config))
})

test('values are parsed from strings', () => {
  const config = loadProxyConfig({ PORT: '9443', LOG_LEVEL: 'debug', REDIS_URL: 'redis+unix:///tmp/r.sock' })
  assert.equal(config.port, 9443)
  assert.equal(config.logLevel, 'debug')
  assert.equal(config.redisUrl, 'redis+unix:///tmp/r.sock')
})

test('a non-numeric port is refused with a message naming the variable', () => {
  assert.throws(() => loadProxyConfig({ PORT: '80a' }), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    assert.match(err.message, /PORT="80a"/)
    assert.doesNotMatch(err.message, /\n/)
    return true
  })
})

test('every problem is collected before failing', () => {
  assert.throws(() => loadProxyConfig({ PORT: '70000', LOG_LEVEL: 'loud', REDIS_URL: 'http://x' }), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    assert.deepEqual(err.problems.map((p) => p.split('=')[0]), ['REDIS_URL', 'LOG_LEVEL', 'PORT'])
    return true
  })
})

test('a secret can come from a *_FILE, but not from both places', () => {
  const dir = mkdtempSync(join(tmpdir(), 'granary-config-'))
  const file = join(dir, 'pw')
  writeFileSync(file, 'correct horse battery\n')
  assert.equal(loadProxyConfig({ ADMIN_PASSWORD_FILE: file }).adminPassword, 'correct horse battery')
  assert.throws(() => loadProxyConfig({ ADMIN_PASSWORD_FILE: file, ADMIN_PASSWORD: 'something else' }), /both set/)
  assert.throws(() => loadProxyConfig({ ADMIN_PASSWORD_FILE: join(dir, 'missing') }), /ADMIN_PASSWORD_FILE: cannot read/)
})
