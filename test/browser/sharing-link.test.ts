/**
 * A sharing link, as people use it: Alice makes a viewer link for her note in
 * the share dialog and copies it; Erin (logged in) opens it and reads the
 * note but cannot edit it; Alice revokes the link; Erin's next load of the
 * grain is refused and the link itself no longer works.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { newPerson, screenshot } from './support/browser.js'
import { closeDialog, go, grainFrame, login, newGrain } from './support/commands.js'
import { attemptWrite, isReadOnly, note, noteReady, waitForValue } from './support/notes.js'
import { loggedInPeople, stackAndBrowser } from './support/suite.js'

const world = stackAndBrowser()

test('a viewer link opened by a second user gives read access; revoking it takes that away', async (t) => {
  const { Alice: alice, Erin: erin } = await loggedInPeople(t, world, 'sharing-link', ['Alice', 'Erin'])

  const grainId = await newGrain(alice.page, 'notes', 'Reading list')
  const aliceFrame = await grainFrame(alice.page)
  await noteReady(aliceFrame)
  await note(aliceFrame).fill('1. SICP')

  await alice.page.getByRole('button', { name: 'Share', exact: true }).click()
  const dialog = alice.page.getByRole('dialog')
  await dialog.locator('#link-role').selectOption('viewer')
  await dialog.getByRole('button', { name: 'Create link' }).click()
  const url = await dialog.locator('#new-link-url').inputValue()
  assert.equal(new URL(url).origin, new URL(world.stack.url).origin, 'the link is on the shell')
  await dialog.locator('#link-list li').first().waitFor()
  await screenshot(alice.page, 'share-dialog')
  await closeDialog(alice.page)

  await go(erin.page, url)
  await erin.page.waitForURL(new RegExp(`#/grain/${grainId}$`))
  const erinFrame = await grainFrame(erin.page)
  await noteReady(erinFrame)
  await waitForValue(erinFrame, '1. SICP')
  assert.equal(await isReadOnly(erinFrame), true, 'a viewer cannot edit')
  assert.equal(await attemptWrite(erinFrame, 'vandalism'), 403, 'and a write is refused')
  await screenshot(erin.page, 'grain-through-link')

  await alice.page.getByRole('button', { name: 'Share', exact: true }).click()
  await dialog.locator('#link-list li').first().getByRole('button', { name: /Revoke/ }).click()
  await dialog.getByText('No sharing links.').waitFor()
  await closeDialog(alice.page)
  // Her open note is cut off at once: the proxy closes sockets whose permissions changed.
  await erinFrame.locator('#status').filter({ hasText: /offline/ }).waitFor({ timeout: 10_000 })

  // Erin's next load: the grain is gone from her list, and the link is dead.
  await go(erin.page, new URL('/#/grains', world.stack.url).href)
  await erin.page.getByRole('heading', { name: 'Grains', exact: true }).waitFor()
  assert.equal(await erin.page.getByRole('link', { name: 'Reading list' }).count(), 0)
  await go(erin.page, new URL(`/#/grain/${grainId}`, world.stack.url).href)
  await erin.page.getByRole('heading', { name: 'Grain not found' }).waitFor()
  await go(erin.page, url)
  await erin.page.getByRole('heading', { name: 'This link does not work' }).waitFor()
  // The note's reconnect attempts after the revoke are refused, as they must be (Chromium logs each); nothing else went wrong.
  const refusedReconnect = /^WebSocket connection to 'wss:\/\/[^']+\/ws[^']*' failed: Error during WebSocket handshake: Unexpected response code: 403$/
  assert.deepEqual(erin.problems.filter((p) => !refusedReconnect.test(p)), [])
})

test('a link that also works without an account opens the note, read-only, for a visitor who is not logged in', async (t) => {
  const alice = await newPerson(world.browser)
  const visitor = await newPerson(world.browser, { phone: true })
  t.after(async () => {
    for (const [who, p] of Object.entries({ alice, visitor })) await screenshot(p.page, `anonymous-link-last-${who}`).catch(() => {})
    await Promise.all([alice.context.close(), visitor.context.close()])
  })
  await login(alice.page, world.stack.url, 'alice', 'alice-password')
  await newGrain(alice.page, 'notes', 'Public notice')
  const aliceFrame = await grainFrame(alice.page)
  await noteReady(aliceFrame)
  await note(aliceFrame).fill('Open on Sundays')

  await alice.page.getByRole('button', { name: 'Share', exact: true }).click()
  const dialog = alice.page.getByRole('dialog')
  await dialog.locator('#link-role').selectOption('viewer')
  await dialog.getByLabel('Also works for people without an account').check()
  await dialog.getByRole('button', { name: 'Create link' }).click()
  const url = await dialog.locator('#new-link-url').inputValue()
  await closeDialog(alice.page)

  await go(visitor.page, url)
  await visitor.page.getByRole('heading', { name: 'Shared with you' }).waitFor()
  const frame = await grainFrame(visitor.page)
  await noteReady(frame)
  await waitForValue(frame, 'Open on Sundays')
  assert.equal(await isReadOnly(frame), true)
  await screenshot(visitor.page, 'grain-anonymous-phone')
  assert.deepEqual(visitor.problems, [])
})
