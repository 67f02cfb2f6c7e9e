/**
 * Logging in as a person does it, in Chromium against the whole stack started
 * by the up command: the page loads under its CSP with no errors, works by
 * keyboard alone and on a phone; a wrong password says so; the right one
 * opens the grain list; logging out ends the session.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { newPerson, screenshot } from './support/browser.js'
import { go, login, logout } from './support/commands.js'
import { stackAndBrowser } from './support/suite.js'

const world = stackAndBrowser()

test('the login page loads with no CSP violation, works by keyboard alone and fits a phone', async (t) => {
  const { context, page, problems } = await newPerson(world.browser)
  t.after(() => context.close())
  const res = await go(page, world.stack.url)
  assert.match(String(res?.headers()['content-security-policy']), /frame-src https:\/\/\*\.granary\.localhost:\d+;/)
  await page.getByRole('heading', { name: 'Log in to Granary' }).waitFor()
  // The username field has focus; Tab walks username -> password -> the button.
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'username')
  await page.keyboard.type('nobody')
  await page.keyboard.press('Tab')
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'password')
  await page.keyboard.press('Tab')
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Log in')
  await screenshot(page, 'login')
  assert.deepEqual(problems, [])

  const phone = await newPerson(world.browser, { phone: true })
  t.after(() => phone.context.close())
  await go(phone.page, world.stack.url)
  await phone.page.getByRole('heading', { name: 'Log in to Granary' }).waitFor()
  const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
  assert.equal(overflow, 0, 'no sideways scrolling on a phone')
  await screenshot(phone.page, 'login-phone')
})

test('a wrong password says so; the right one opens the grain list; logging out ends the session', async (t) => {
  const { context, page, problems } = await newPerson(world.browser)
  t.after(() => context.close())
  await go(page, world.stack.url)
  await page.getByLabel('Username').fill('admin')
  await page.getByLabel('Password').fill('not-the-password')
  await page.keyboard.press('Enter')
  const alert = page.locator('#login-error')
  await alert.waitFor()
  assert.equal(await alert.innerText(), 'Wrong username or password.')
  assert.equal(await page.getByLabel('Password').inputValue(), '', 'the wrong password is cleared')
  await screenshot(page, 'login-wrong-password')

  await login(page, world.stack.url, 'admin', world.stack.adminPassword)
  assert.match(page.url(), /#\/grains$/)
  await page.getByRole('heading', { name: 'Grains', level: 1, exact: true }).waitFor()
  await page.getByRole('link', { name: 'Admin' }).waitFor()
  await screenshot(page, 'grains-empty')

  await logout(page)
  // The session is gone on the server too: a reload stays on the login screen.
  await page.reload()
  await page.getByRole('heading', { name: 'Log in to Granary' }).waitFor()
  const me = await page.evaluate(async () => (await fetch('/api/me')).status)
  assert.equal(me, 401)
  assert.deepEqual(problems, [])
})

test('after too many wrong passwords the account is locked, and the message says so and for how long', async (t) => {
  const { context, page, problems } = await newPerson(world.browser)
  t.after(() => context.close())
  await go(page, world.stack.url)
  await page.getByLabel('Username').waitFor()
  // Earlier failures from a script (same world.browser, same origin), then one by hand.
  const statuses = await page.evaluate(async () => {
    const out: number[] = []
    for (let i = 0; i < 12; i++) {
      const res = await fetch('/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'mallory', password: `guess-${i}` }) })
      out.push(res.status)
    }
    return out
  })
  assert.ok(statuses.includes(429), `the API locks the account: ${statuses.join(',')}`)
  await page.getByLabel('Username').fill('mallory')
  await page.getByLabel('Password').fill('one-more-guess')
  await page.getByRole('button', { name: 'Log in', exact: true }).click()
  await page.locator('#login-error').filter({ hasText: 'locked' }).waitFor()
  assert.match(await page.locator('#login-error').innerText(), /^Too many failed logins: this account is locked for now\. Try again in \d+ minutes?\.$/)
  await screenshot(page, 'login-locked')
  assert.deepEqual(problems, [])
})

test('keyboard only: create a grain from an app, open the share dialog and leave it with Escape', async (t) => {
  const { context, page, problems } = await newPerson(world.browser)
  t.after(() => context.close())
  await login(page, world.stack.url, 'admin', world.stack.adminPassword)
  // Tab from the top of the grain list to the first app action, then Enter.
  await page.keyboard.press('Tab')
  let steps = 0
  while (!(await page.evaluate(() => document.activeElement?.classList.contains('app-action') === true)) && steps++ < 15) await page.keyboard.press('Tab')
  assert.ok(steps < 15, 'an app action is reachable with Tab')
  await page.keyboard.press('Enter')
  const title = page.getByRole('dialog').getByLabel('Title', { exact: true })
  await title.waitFor()
  // The dialog moves focus just after it opens; give it a moment, then insist.
  await page.waitForFunction(() => document.activeElement?.id === 'new-grain-title', null, { timeout: 3000 }).catch(() => undefined)
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'new-grain-title', 'the title field has focus')
  await page.keyboard.type('Typed without a mouse')
  await page.keyboard.press('Enter')
  await page.getByRole('heading', { name: 'Typed without a mouse', level: 1 }).waitFor()
  await page.getByRole('button', { name: 'Share', exact: true }).focus()
  await page.keyboard.press('Enter')
  await page.getByRole('dialog').waitFor()
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'share-username', 'the dialog starts at its first field')
  await page.keyboard.press('Escape')
  await page.getByRole('dialog').waitFor({ state: 'detached' })
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Share', 'focus returns to the button that opened it')
  assert.deepEqual(problems, [])
})
