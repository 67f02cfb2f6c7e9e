/**
 * The design's worked example, as four people do it in four browsers on the
 * Notes app: Alice shares read with Bob and read+write with Carol; Bob and
 * Carol each share everything they hold with Dave, who can edit. Alice revokes
 * Carol: Dave's next load is read-only and a write he attempts is refused.
 * Alice shares with Carol again: Dave edits again. Along the way two people
 * editing the same note see each other's changes live.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { launchBrowser, newPerson, screenshot } from './support/browser.js'
import { accessOf, accessRow, closeDialog, createUser, go, grainFrame, login, newGrain, openAccess, openGrain, revoke, share } from './support/commands.js'
import { attemptWrite, isReadOnly, note, noteReady, waitForValue } from './support/notes.js'
import { startStack, type Stack } from './support/stack.js'

const PASSWORD = 'correct horse battery'
const PEOPLE = ['alice', 'bob', 'carol', 'dave'] as const
type Person = typeof PEOPLE[number]
const displayName = (p: Person) => p[0]!.toUpperCase() + p.slice(1)

let stack: Stack
let browser: Browser
const pages = {} as Record<Person | 'admin', Page>
const ids = {} as Record<Person, string>

before(async () => {
  stack = await startStack()
  browser = await launchBrowser()
  for (const who of ['admin', ...PEOPLE] as const) pages[who] = (await newPerson(browser)).page
  await login(pages.admin, stack.url, 'admin', stack.adminPassword)
  for (const p of PEOPLE) ids[p] = await createUser(pages.admin, p, PASSWORD, displayName(p))
  await screenshot(pages.admin, 'admin-users')
  for (const p of PEOPLE) await login(pages[p], stack.url, p, PASSWORD)
})
after(async () => {
  // What each person saw last: the first place to look when this test fails.
  for (const [who, page] of Object.entries(pages)) await screenshot(page, `worked-example-last-${who}`).catch(() => {})
  await browser?.close()
  await stack?.stop()
})

test('Alice shares, Bob and Carol reshare to Dave; Dave edits and Alice sees it live', async () => {
  const { alice, bob, carol, dave } = pages
  await newGrain(alice, 'notes', 'Plans')
  const aliceNote = await grainFrame(alice)
  await noteReady(aliceNote)
  await share(alice, 'bob', 'viewer')
  await share(alice, 'carol', 'editor')
  await screenshot(alice, 'grain-open')

  await openGrain(bob, 'Plans')
  await share(bob, 'dave', 'all')
  await openGrain(carol, 'Plans')
  await share(carol, 'dave', 'all')

  // Dave's list: the note is under "Shared with me"; the title search filters as he types.
  await go(dave, new URL('/#/grains', stack.url).href)
  const sharedWithDave = dave.locator('section[aria-labelledby="shared-title"]')
  await sharedWithDave.getByRole('link', { name: 'Plans' }).waitFor()
  await dave.getByLabel('Search grains by title').fill('zzz')
  await sharedWithDave.getByText('No title matches').waitFor()
  await dave.getByLabel('Search grains by title').fill('PLA')
  await sharedWithDave.getByRole('link', { name: 'Plans' }).waitFor()
  await dave.getByLabel('Search grains by title').fill('')
  await screenshot(dave, 'grains')

  const daveNote = await openGrain(dave, 'Plans')
  await noteReady(daveNote)
  assert.equal(await isReadOnly(daveNote), false, 'Dave holds read,write')
  await note(daveNote).fill('Dave was here')
  await waitForValue(aliceNote, 'Dave was here') // Alice sees Dave's edit live, without reloading

  // And the other way: Alice types, Dave sees it without reloading.
  await note(aliceNote).fill('Alice and Dave were here')
  await waitForValue(daveNote, 'Alice and Dave were here')

  await openAccess(alice)
  assert.equal(await accessOf(alice, ids.dave), 'Read, Write')
  assert.equal(await accessOf(alice, ids.bob), 'Read')
  await screenshot(alice, 'who-has-access')
  await closeDialog(alice)
})

test('after Alice revokes Carol, Dave\'s next load is read-only and his write is refused; re-sharing restores it', async () => {
  const { alice, dave } = pages
  await openAccess(alice)
  await revoke(alice, ids.alice, ids.carol)
  // The dialog re-fetched: the cascade shows at once.
  assert.equal(await accessOf(alice, ids.carol), 'no access')
  assert.equal(await accessOf(alice, ids.dave), 'Read')
  await screenshot(alice, 'who-has-access-after-revoke')
  await closeDialog(alice)

  const daveNote = await openGrain(dave, 'Plans')
  await noteReady(daveNote)
  assert.equal(await isReadOnly(daveNote), true, 'Dave holds read only now')
  assert.equal(await attemptWrite(daveNote, 'sneaky'), 403, 'a write Dave attempts is refused')
  const aliceNote = await openGrain(alice, 'Plans')
  await noteReady(aliceNote)
  assert.equal(await note(aliceNote).inputValue(), 'Alice and Dave were here', 'the refused write changed nothing')

  await share(alice, 'carol', 'editor')
  const again = await openGrain(dave, 'Plans')
  await noteReady(again)
  assert.equal(await isReadOnly(again), false, 'Dave holds read,write again')
  assert.equal(await attemptWrite(again, 'Dave is back'), 200)
})

test('who has access names each person and the path they hold it through ("via Bob")', async () => {
  const { alice } = pages
  await openGrain(alice, 'Plans')
  await openAccess(alice)
  const names = await alice.getByRole('dialog').locator('#access-principals li .who').allInnerTexts()
  assert.deepEqual(names.map((n) => n.replace(' (you)', '').trim()).sort(), ['Alice', 'Bob', 'Carol', 'Dave'])
  assert.match(await accessRow(alice, ids.dave).locator('.via').innerText(), /^via (Bob, Carol|Carol, Bob)$/)
  await alice.getByRole('dialog').locator('#access-edges li[data-edge="Bob → Dave"]').waitFor()
  await closeDialog(alice)
})
