/**
 * The admin screen, driven in Chromium against the whole stack: an admin
 * creates an account that can then log in, disables it (its login stops
 * working and its open session ends), enables it and resets its password.
 * People who are not admins see no admin screen.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { newPerson, screenshot } from './support/browser.js'
import { createUser, go, login } from './support/commands.js'
import { stackAndBrowser } from './support/suite.js'

const world = stackAndBrowser()

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
