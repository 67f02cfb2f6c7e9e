/**
 * The admin screen, driven in Chromium against the whole stack: an admin
 * creates an account that can then log in, disables it (its login stops
 * working and its open session ends), enables it and resets its password.
 * People who are not admins see no admin screen. In "Running grains" the
 * admin sees a grain someone opened running, with its owner, and stops it;
 * in "Audit" the share made on it, with the people named.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { newPerson, screenshot } from './support/browser.js'
import { createUser, go, grainFrame, login, newGrain, share } from './support/commands.js'
import { noteReady } from './support/notes.js'
import { loggedInPeople, stackAndBrowser } from './support/suite.js'

// Grains are never paused here: the admin should see the grain Alice opened as running, not paused.
const world = stackAndBrowser({ GRAIN_PAUSE_AFTER_MS: '0' })

test('an admin creates, disables, enables an account and resets its password; others see no admin screen', async (t) => {
  const admin = await newPerson(world.browser)
  const erin = await newPerson(world.browser, { phone: true })
  t.after(() => Promise.all([admin.context.close(), erin.context.close()]))

  await login(admin.page, world.stack.url, 'admin', world.stack.adminPassword)
  await createUser(admin.page, 'erin', 'first-password', 'Erin')
  const row = admin.page.locator('tr[data-username="erin"]')
  assert.equal(await row.locator('td').nth(1).innerText(), 'Erin')
  assert.equal(await row.locator('.badge').innerText(), 'active')

  await login(erin.page, world.stack.url, 'erin', 'first-password')
  assert.equal(await erin.page.getByRole('link', { name: 'Admin' }).count(), 0, 'no admin link for a user')
  await go(erin.page, new URL('/#/admin', world.stack.url).href)
  await erin.page.waitForURL(/#\/grains$/)

  await row.getByRole('button', { name: 'Disable' }).click()
  await row.locator('.badge', { hasText: 'disabled' }).waitFor()
  await screenshot(admin.page, 'admin-users')
  // Her open session ended: the next thing she does sends her to the login screen.
  await erin.page.reload()
  await erin.page.getByRole('heading', { name: 'Log in to Granary' }).waitFor()
  await erin.page.getByLabel('Username').fill('erin')
  await erin.page.getByLabel('Password').fill('first-password')
  await erin.page.getByRole('button', { name: 'Log in', exact: true }).click()
  await erin.page.locator('#login-error').waitFor()

  await row.getByRole('button', { name: 'Enable' }).click()
  await row.locator('.badge', { hasText: 'active' }).waitFor()
  await row.getByRole('button', { name: 'Reset password' }).click()
  await admin.page.getByRole('dialog').getByLabel('New password').fill('second-password')
  await admin.page.getByRole('dialog').getByRole('button', { name: 'Set password' }).click()
  await admin.page.locator('#status').filter({ hasText: 'Password of erin changed' }).waitFor()

  await login(erin.page, world.stack.url, 'erin', 'second-password')
  await screenshot(erin.page, 'grains-phone')
  assert.deepEqual(admin.problems, [])
  assert.deepEqual(erin.problems, [])
})

test('the admin sees a grain Alice opened running with its owner, stops it, and finds her share in the audit log', async (t) => {
  const { admin, Alice } = await loggedInPeople(t, world, 'admin-grains', ['Alice', 'Bob'] as const)
  const grainId = await newGrain(Alice.page, 'notes', 'Groceries')
  await noteReady(await grainFrame(Alice.page))
  await share(Alice.page, 'bob', 'viewer')
  // Alice moves on; nothing of hers would start the grain again once it is stopped.
  await go(Alice.page, new URL('/#/grains', world.stack.url).href)

  const page = admin.page
  await go(page, new URL('/#/admin/grains', world.stack.url).href)
  const row = page.locator(`#admin-grains tr[data-grain-id="${grainId}"]`)
  await row.waitFor()
  assert.equal(await row.getByRole('rowheader').innerText(), 'Groceries')
  assert.equal(await row.locator('.badge').innerText(), 'running')
  assert.match(await row.locator('td').nth(2).innerText(), /^Alice\s+alice$/, 'the owner, by name and username')
  assert.match(await row.locator('td').nth(1).innerText(), /Notes/)
  await screenshot(page, 'admin-grains-running')

  // By keyboard, as a person without a mouse would.
  const stop = row.getByRole('button', { name: 'Stop Groceries' })
  await stop.focus()
  await page.keyboard.press('Enter')
  await page.locator('#status').filter({ hasText: 'Stopped “Groceries”' }).waitFor()
  await row.locator('.badge', { hasText: 'stopped' }).waitFor()
  assert.equal(await row.getByRole('button', { name: 'Stop Groceries' }).count(), 0, 'a stopped grain has no Stop button')
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-grain-id')), grainId, 'the keyboard stays on the row')
  await screenshot(page, 'admin-grains-stopped')
  await page.setViewportSize({ width: 390, height: 780 })
  await screenshot(page, 'admin-grains-phone')
  await page.setViewportSize({ width: 1200, height: 800 })

  await page.getByRole('link', { name: 'Audit' }).click()
  const events = page.locator('#audit-events')
  const shared = events.locator('tr[data-action="share"]').filter({ hasText: 'Groceries' })
  await shared.waitFor()
  assert.deepEqual((await shared.locator('td').allInnerTexts()).slice(1), ['Alice', 'shared with Bob: read', 'Groceries'], 'who, what, on which grain')
  const stopped = events.locator('tr[data-action="grain-stop"]').first()
  assert.deepEqual((await stopped.locator('td').allInnerTexts()).slice(1), ['Administrator', 'stopped the grain', 'Groceries'])
  await screenshot(page, 'admin-audit')
  await page.setViewportSize({ width: 390, height: 780 })
  await screenshot(page, 'admin-audit-phone')
  await page.getByRole('link', { name: 'Users' }).click()
  await page.locator('#admin-users').scrollIntoViewIfNeeded()
  await screenshot(page, 'admin-users-phone')
  assert.deepEqual(admin.problems, [])
  assert.deepEqual(Alice.problems, [])
})
