/** The lifecycle's pure rules: reconciliation plans, idle decisions, container limits. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { helloManifest } from '../test/support/grains.js'
import { catalogFromAppStore } from './app-catalog.js'
import { containerSpec, grainLimits } from './container-spec.js'
import { demuxDockerLog } from './container-logs.js'
import { idleAction } from './lifecycle.js'
import { planReconcile } from './reconcile.js'

test('reconciliation removes leftovers, undoes interrupted starts, adopts the newest running container', () => {
  const exists = (id: string) => id !== 'gone'
  const actions = planReconcile([
    { id: 'c1', grainId: 'gone', state: 'running', created: 1 },
    { id: 'c2', grainId: 'half', state: 'running', created: 1 },
    { id: 'c3', grainId: 'ok', state: 'exited', created: 3 },
    { id: 'c4', grainId: 'ok', state: 'running', created: 2 },
    { id: 'c5', grainId: 'ok', state: 'running', created: 1 },
    { id: 'c6', grainId: 'asleep', state: 'exited', created: 1 },
  ], exists, new Map([['half', 'starting'], ['ok', 'running'], ['vanished', 'running'], ['done', 'stopped']]))
  assert.deepEqual(actions, [
    { kind: 'remove', grainId: 'gone', containerId: 'c1', why: 'its grain was deleted' },
    { kind: 'remove', grainId: 'half', containerId: 'c2', why: 'its start was interrupted' },
    { kind: 'mark-stopped', grainId: 'half', why: 'start interrupted by a control plane restart' },
    { kind: 'adopt', grainId: 'ok', containerId: 'c4', state: 'running' },
    { kind: 'remove', grainId: 'ok', containerId: 'c5', why: 'a newer container of the grain exists' },
    { kind: 'remove', grainId: 'ok', containerId: 'c3', why: 'a newer container of the grain exists' },
    { kind: 'keep-stopped', grainId: 'asleep', containerId: 'c6' },
    { kind: 'mark-stopped', grainId: 'vanished', why: 'its container is gone' },
  ])
})

test('idle grains are paused first, stopped after their idle timeout; sleeping ones are left alone', () => {
  const g = { state: 'running' as const, lastUsedAt: 1000, idleTimeoutMs: 10_000 }
  assert.equal(idleAction(g, 1500, 1000), undefined)
  assert.equal(idleAction(g, 2000, 1000), 'pause')
  assert.equal(idleAction(g, 2000, 0), undefined, 'pausing disabled')
  assert.equal(idleAction({ ...g, state: 'paused' }, 5000, 1000), undefined)
  assert.equal(idleAction({ ...g, state: 'paused' }, 11_000, 1000), 'stop')
  assert.equal(idleAction(g, 11_000, 1000), 'stop')
  for (const state of ['stopped', 'starting', 'failed'] as const) assert.equal(idleAction({ ...g, state }, 99_999, 1000), undefined)
})

test('limits come from the manifest, capped by the settings, with defaults', () => {
  const caps = { maxMemoryMb: 512, maxCpus: 1, maxPids: 256 }
  assert.deepEqual(grainLimits(helloManifest({ limits: { memoryMb: 4096, cpus: 8, pids: 9999 } }), caps), { memoryMb: 512, cpus: 1, pids: 256 })
  assert.deepEqual(grainLimits(helloManifest({ limits: { memoryMb: 100 } }), caps), { memoryMb: 100, cpus: 0.5, pids: 128 })
  const spec = containerSpec({ grainId: 'abcdefgh', manifest: helloManifest(), imageId: 'img', hostDataDir: '/d', network: 'n', caps, extraLabels: { 'granary.grain': 'spoofed', other: 'x' } })
  assert.equal(spec.Labels?.['granary.grain'], 'abcdefgh', 'extra labels never override Granary\'s')
  assert.equal(spec.HostConfig?.MemorySwap, spec.HostConfig?.Memory, 'no swap beyond the memory limit')
})

test('Docker log frames are demultiplexed', () => {
  const frame = (stream: number, text: string) => {
    const body = Buffer.from(text)
    const head = Buffer.alloc(8)
    head[0] = stream
    head.writeUInt32BE(body.length, 4)
    return Buffer.concat([head, body])
  }
  assert.equal(demuxDockerLog(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')])), 'out\nerr\n')
  assert.equal(demuxDockerLog(Buffer.from([1, 0, 0])), '', 'a truncated frame is ignored')
})

test('an app store\'s current version is the catalog entry', async () => {
  const manifest = helloManifest({ version: '2.0.0' })
  const catalog = catalogFromAppStore({ get: async (id) => (id === 'hello' ? { current: { manifest, imageId: 'sha256:abc' } } : undefined) })
  assert.deepEqual(await catalog.get('hello'), { manifest, imageId: 'sha256:abc' })
  assert.equal(await catalog.get('other'), undefined)
})
