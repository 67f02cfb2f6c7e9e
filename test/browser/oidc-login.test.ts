/**
 * Logging in with an OpenID Connect provider from the login page, in
 * Chromium, against the whole stack and a real oidc-provider: the provider's
 * button is on the page; clicking it goes through the provider and back,
 * logged in as a new account named from the provider's claims; logging out
 * and in again with the provider finds the same account.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { launchBrowser, newPerson, screenshot } from './support/browser.js'
import { go, logout } from './support/commands.js'
import { startBrowserOidcProvider, type BrowserOidcProvider } from './support/oidc.js'
import { startStack, type Stack } from './support/stack.js'

let stack: Stack
let browser: Browser
let idp: BrowserOidcProvider
before(async () => {
  idp = await startBrowserOidcProvider()
  stack = await startStack({
    OIDC_PROVIDERS: JSON.stringify([{ id: 'testid', name: 'Test ID', issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret }]),
    NODE_EXTRA_CA_CERTS: idp.caFile,
  })
  idp.configure(new URL('/api/session/oidc/testid/callback', stack.url).href, { sub: 'zoe-123', preferred_username: 'zoe', name: 'Zoë Example', email: 'zoe@example.test' })
  browser = await launchBrowser()
})
after(async () => {
  await browser?.close()
  await stack?.stop()
  await idp?.close()
})

test('a person logs in with the OpenID provider\'s button and comes back logged in; again later as the same account', async (t) => {
  const { context, page, problems } = await newPerson(browser)
  t.after(() => context.close())
  await go(page, stack.url)
  const button = page.getByRole('link', { name: 'Log in with Test ID' })
  await button.waitFor()
  await screenshot(page, 'login-with-provider')
  await button.click()
  await page.getByRole('button', { name: 'Log out' }).waitFor()
  assert.equal(new URL(page.url()).origin, new URL(stack.url).origin, 'back on the shell')
  assert.equal(await page.locator('.whoami').innerText(), 'Zoë Example')
  const me = await page.evaluate(async () => (await (await fetch('/api/me')).json()) as { user: { id: string, username: string } })
  assert.equal(me.user.username, 'zoe')

  await logout(page)
  await page.getByRole('link', { name: 'Log in with Test ID' }).click()
  await page.getByRole('button', { name: 'Log out' }).waitFor()
  const again = await page.evaluate(async () => (await (await fetch('/api/me')).json()) as { user: { id: string } })
  assert.equal(again.user.id, me.user.id, 'the same account, not a new one')
  assert.deepEqual(problems, [])
})
