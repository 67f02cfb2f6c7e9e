/**
 * docker-compose.yml and .env.example stay in step with the settings in
 * code: every setting a service reads is passed to it by the compose file,
 * and every variable the compose file reads from .env is documented in
 * .env.example. A setting added to core/settings.ts fails this test until the
 * deployment knows about it.
 */
import { strict as assert } from 'node:assert'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { parse } from 'yaml'
import type { Settings } from '../../core/config.js'
import { controlPlaneSettings, grainFirewallSettings, proxySettings } from '../../core/settings.js'

const composeText = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8')
const compose = parse(composeText) as { services: Record<string, { environment?: Record<string, string> }> }
const envExample = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8')

/** Settings a service reads that compose leaves to their defaults on purpose, and why. */
const LEFT_AT_DEFAULT: Record<string, string> = {
  CONTROL_PLANE_SECRET_FILE: 'the secret comes from .env',
}

function check (service: string, settings: Settings): void {
  const env = compose.services[service]?.environment ?? {}
  const missing = Object.values(settings).map((s) => s.env).filter((name) => !(name in env) && !(name in LEFT_AT_DEFAULT))
  assert.deepEqual(missing, [], `docker-compose.yml passes every ${service} setting (add the missing ones to its environment and to .env.example)`)
}

test('docker-compose.yml passes every proxy, control-plane and grain-firewall setting', () => {
  check('proxy', proxySettings)
  check('control-plane', controlPlaneSettings)
  check('grain-firewall', grainFirewallSettings)
})

test('every variable docker-compose.yml reads is documented in .env.example', () => {
  const used = new Set([...composeText.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]!))
  const documented = new Set([...envExample.matchAll(/^#?\s*([A-Z0-9_]+)=/gm)].map((m) => m[1]!))
  assert.deepEqual([...used].filter((v) => !documented.has(v)).sort(), [])
})

test('the compose file has no `version:` key and no Compose-v2-only keys', () => {
  assert.doesNotMatch(composeText, /^version:/m)
  for (const v2only of ['develop:', 'include:', 'start_interval:', 'pull_policy:']) assert.ok(!composeText.includes(v2only), `${v2only} is v2-only`)
})
