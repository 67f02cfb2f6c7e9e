/**
 * Grain backup as a person does it: Alice exports her note with the Export
 * button, imports the downloaded file from the grain list, and finds a second
 * grain of hers with the same title and text; Bob, who only has the note shared
 * with him, gets no Export button.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { screenshot } from './support/browser.js'
import { go, grainFrame, newGrain, openGrain, share } from './support/commands.js'
import { note, noteReady, waitForValue } from './support/notes.js'
import { loggedInPeople, stackAndBrowser } from './support/suite.js'

const world = stackAndBrowser()

test('a note exported with the Export button comes back as a new grain through Import', async (t) => {
  const { Alice: alice, Bob: bob } = await loggedInPeople(t, world, 'grain-backup', ['Alice', 'Bob'])

  const original = await newGrain(alice.page, 'notes', 'Recipes')
  const frame = await grainFrame(alice.page)
  await noteReady(frame)
  await note(frame).fill('Pancakes: flour, eggs, milk')
  await frame.locator('#status').filter({ hasText: /^saved$/ }).waitFor({ timeout: 10_000 })
  await share(alice.page, 'bob', 'editor')

  const [download] = await Promise.all([alice.page.waitForEvent('download'), alice.page.locator('#export-button').click()])
  const file = await download.path()
  // An error answer downloads too (named after the URL): show what it said.
  assert.equal(download.suggestedFilename(), 'Recipes.granary.tar', `the download is not the archive: ${readFileSync(file, 'utf8').slice(0, 300)}`)

  await go(alice.page, new URL('/#/grains', world.stack.url).href)
  await alice.page.locator('#import-grain').setInputFiles(file)
  await alice.page.waitForURL((url) => /#\/grain\/[^/]+$/.test(url.hash) && !url.hash.endsWith(original))
  await alice.page.getByRole('heading', { name: 'Recipes', level: 1 }).waitFor()
  const copy = await grainFrame(alice.page)
  await noteReady(copy)
  await waitForValue(copy, 'Pancakes: flour, eggs, milk')
  await screenshot(alice.page, 'grain-imported')

  await go(alice.page, new URL('/#/grains', world.stack.url).href)
  await alice.page.locator('#grain-search').waitFor()
  assert.equal(await alice.page.getByRole('link', { name: 'Recipes', exact: true }).count(), 2, 'the original and the imported copy')

  await openGrain(bob.page, 'Recipes')
  await bob.page.getByRole('button', { name: 'Share', exact: true }).waitFor()
  assert.equal(await bob.page.locator('#export-button').count(), 0, 'only the owner may export')
})
