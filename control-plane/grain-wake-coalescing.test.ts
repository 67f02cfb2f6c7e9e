/** Many simultaneous wakes of one sleeping grain start exactly one container and all get the same answer. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { docker } from '../test/support/docker.js'
import { testControlPlane } from '../test/support/grains.js'
import { LABELS } from './docker.js'

test('50 concurrent wakes of a sleeping grain start exactly one container', async (t) => {
  const cp = await testControlPlane(t)
  const id = await cp.createGrain()
  const answers = await Promise.all(Array.from({ length: 50 }, () => cp.call('POST', `/grains/${id}/wake`)))
  assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]))
  assert.equal(new Set(answers.map((a) => JSON.stringify(a.body))).size, 1, 'every caller got the same address')
  const containers = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABELS.grain}=${id}`] }) })
  assert.equal(containers.length, 1)
  const metrics = (await cp.call('GET', '/metrics')).body as string
  assert.match(metrics, /granary_grain_start_seconds_count 1\n/)
  assert.match(metrics, /granary_grains_running 1\n/)

  // And once it runs, more wakes are answered from memory, without a single Docker API call.
  const modem = cp.app.docker.modem as { dial: (...args: unknown[]) => unknown }
  const dial = modem.dial
  let dockerCalls = 0
  modem.dial = function (this: unknown, ...args: unknown[]) { dockerCalls++; return dial.apply(this, args) }
  t.after(() => { modem.dial = dial })
  await Promise.all(Array.from({ length: 20 }, () => cp.call('POST', `/grains/${id}/wake`)))
  assert.equal(dockerCalls, 0)
  assert.match((await cp.call('GET', '/metrics')).body, /granary_grain_wakes_total\{kind="hot"\} 20\n/)
})
