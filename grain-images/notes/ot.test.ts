import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { apply, compose, diff, isOp, transform, transformIndex, type Op } from './public/ot.js'

/** A random edit of `text`: the diff to a random string sharing a random prefix and suffix with it. */
const editOf = (text: string) => fc.tuple(fc.nat(text.length), fc.nat(text.length), fc.string({ maxLength: 6 }))
  .map(([i, j, ins]): Op => diff(text, text.slice(0, Math.min(i, j)) + ins + text.slice(Math.max(i, j))))

const docAndTwoEdits = fc.string({ maxLength: 30 }).chain((text) => fc.tuple(fc.constant(text), editOf(text), editOf(text)))

test('ot: two concurrent edits converge whichever order they arrive in', () => {
  fc.assert(fc.property(docAndTwoEdits, ([text, a, b]) => {
    const [a2, b2] = transform(a, b)
    assert.equal(apply(apply(text, a), b2), apply(apply(text, b), a2))
  }), { numRuns: 2000 })
})

test('ot: no keystroke is lost: every inserted run survives a concurrent edit, even one deleting around it', () => {
  fc.assert(fc.property(docAndTwoEdits, ([text, a, b]) => {
    const [a2, b2] = transform(a, b)
    const merged = apply(apply(text, a), b2)
    for (const c of [...a2, ...b2]) if (typeof c === 'string') assert.ok(merged.includes(c), `${JSON.stringify(c)} missing from ${JSON.stringify(merged)}`)
  }), { numRuns: 1000 })
})

test('ot: compose(a, b) does what a then b does', () => {
  fc.assert(fc.property(fc.string({ maxLength: 30 }).chain((text) => fc.tuple(fc.constant(text), editOf(text)).chain(([t, a]) => fc.tuple(fc.constant(t), fc.constant(a), editOf(apply(t, a))))), ([text, a, b]) => {
    assert.equal(apply(text, compose(a, b)), apply(apply(text, a), b))
  }), { numRuns: 2000 })
})

test('ot: diff turns one text into the other, and a cursor stays on its character', () => {
  fc.assert(fc.property(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }), (before, after) => {
    const op = diff(before, after)
    assert.ok(isOp(op))
    assert.equal(apply(before, op), after)
  }), { numRuns: 2000 })
  // Typing before a cursor moves it; typing after does not.
  assert.equal(transformIndex(5, ['abc', 10]), 8)
  assert.equal(transformIndex(5, [6, 'abc', 4]), 5)
  assert.equal(transformIndex(5, [-2, 8]), 3)
  assert.equal(transformIndex(5, [3, -4, 3]), 3)
})

test('ot: malformed operations are recognised', () => {
  for (const bad of [null, 'x', [0], [1.5], [''], [{}], [Number.MAX_VALUE]]) assert.equal(isOp(bad), false, JSON.stringify(bad))
  assert.throws(() => apply('abc', [2]), /spans 2 characters, the text has 3/)
})
