import assert from 'node:assert/strict'
import { test } from 'node:test'
import { compareSemver } from './semver.js'

test('semver precedence follows the specification, build metadata ignored', () => {
  // The ordering example from semver.org, plus numeric (not textual) comparison.
  const ordered = ['0.9.9', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.2.0', '1.10.0', '2.0.0', '10.0.0']
  for (let i = 0; i < ordered.length; i++) {
    for (let j = 0; j < ordered.length; j++) {
      assert.equal(compareSemver(ordered[i]!, ordered[j]!), Math.sign(i - j), `${ordered[i]} vs ${ordered[j]}`)
    }
  }
  assert.equal(compareSemver('1.0.0+build.1', '1.0.0+build.2'), 0)
  assert.throws(() => compareSemver('1.0', '1.0.0'), /not a semantic version/)
})
