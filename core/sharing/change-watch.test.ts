/**
 * The bookkeeping that decides when a cached share graph may be trusted
 * without asking Redis (./change-watch.ts), on a clock the test moves.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ChangeWatch } from './change-watch.js'

const LEASE = 1_000

function watched (maxGrains?: number): { watch: ChangeWatch, clock: { t: number } } {
  const clock = { t: 10_000 }
  const watch = new ChangeWatch(() => clock.t, LEASE, maxGrains)
  watch.heartbeat(clock.t, watch.currentEpoch())
  return { watch, clock }
}

test('a graph loaded after the last change is fresh; a change to its grain after the load makes it stale', () => {
  const { watch } = watched()
  watch.changed('g1')
  const mark = watch.mark()
  assert.equal(watch.fresh('g1', mark), true)
  watch.changed('g2')
  assert.equal(watch.fresh('g1', mark), true, 'another grain\'s change does not matter')
  watch.changed('g1')
  assert.equal(watch.fresh('g1', mark), false)
  assert.equal(watch.fresh('g1', watch.mark()), true, 'a load after that change is fresh again')
})

test('nothing is fresh before the first heartbeat, or once the lease has run out without one', () => {
  const clock = { t: 0 }
  const watch = new ChangeWatch(() => clock.t, LEASE)
  const mark = watch.mark()
  assert.equal(watch.fresh('g', mark), false, 'no heartbeat yet')
  watch.heartbeat(clock.t, watch.currentEpoch())
  assert.equal(watch.fresh('g', mark), true)
  clock.t += LEASE
  assert.equal(watch.fresh('g', mark), true, 'still within the lease')
  clock.t += 1
  assert.equal(watch.fresh('g', mark), false, 'lease over: ask Redis')
  watch.heartbeat(clock.t - 5, watch.currentEpoch())
  assert.equal(watch.fresh('g', mark), true, 'a heartbeat sent 5 ms ago renews it')
})

test('after the subscription drops, older loads are stale and heartbeats sent before the drop do not count', () => {
  const { watch, clock } = watched()
  const before = watch.mark()
  const epochBefore = watch.currentEpoch()
  const sentBefore = clock.t
  watch.lost()
  assert.equal(watch.fresh('g', before), false, 'messages may have been missed')
  watch.heartbeat(sentBefore, epochBefore)
  assert.equal(watch.fresh('g', watch.mark()), false, 'a heartbeat from before the drop proves nothing')
  watch.heartbeat(clock.t, watch.currentEpoch())
  assert.equal(watch.fresh('g', before), false, 'a load from before the drop stays stale')
  assert.equal(watch.fresh('g', watch.mark()), true, 'a load after it is fresh once a new heartbeat came back')
})

test('forgetting old grains (bounded memory) only ever makes loads stale, never fresh', () => {
  const { watch } = watched(2)
  const early = watch.mark()
  watch.changed('a')
  const afterA = watch.mark()
  watch.changed('b')
  watch.changed('c') // 'a' is forgotten
  assert.equal(watch.fresh('a', early), false, 'the change to a is not lost by forgetting it')
  assert.equal(watch.fresh('z', early), false, 'older loads of any grain are stale now')
  assert.equal(watch.fresh('a', afterA), true, 'a load after a\'s change is still fresh')
  assert.equal(watch.fresh('b', afterA), false)
})
