/**
 * Logging in with an OpenID Connect provider from the login page, in
 * Chromium, against the whole stack and a real oidc-provider: the provider's
 * button is on the page; clicking it goes through the provider and back,
 * logged in as a new account named from the provider's claims; logging out
 * and in again with the provider finds the same account. A login that fails
 * (the person says no at the provider, or the answer does not match the
 * login this browser started) comes back to the login page, which says why.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { OIDC_FLOW_COOKIE } from '../../proxy/http/cookies.js'
import { launchBrowser, newPerson, screenshot } from './support/browser.js'
import { go, logout } from './support/commands.js'
import { startBrowserOidcProvider, type BrowserOidcProvider, type OidcAccount } from './support/oidc.js'
import { startStack, type Stack } from './support/stack.js'

let stack: Stack
let browser: Browser
let idp: BrowserOidcProvider
const ZOE: OidcAccount = { sub: 'zoe-123', preferred_username: 'zoe', name: 'Zoë Example', email: 'zoe@example.test' }
before(async () => {
  idp = await startBrowserOidcProvider()
  stack = await startStack({
    OIDC_PROVIDERS: JSON.stringify([{ id: 'testid', name: 'Test ID', issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret }]),
    NODE_EXTRA_CA_CERTS: idp.caFile,
  })
  idp.configure(new URL('/api/session/oidc/testid/callback', stack.url).href, ZOE)
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

test('a login the person refuses at the provider, or whose answer was forged, lands on the login page with a message in words', async (t) => {
  const { context, page, problems } = await newPerson(browser)
  t.after(() => context.close())
  idp.decide({ deny: true })
  t.after(() => idp.decide({ account: ZOE }))
  await go(page, stack.url)
  await page.getByRole('link', { name: 'Log in with Test ID' }).click()
  const message = page.locator('#login-error:not([hidden])')
  await message.waitFor()
  assert.match(await message.innerText(), /^You did not allow the login at the provider/)
  assert.equal(await message.getAttribute('role'), 'alert', 'read out at once')
  assert.equal(new URL(page.url()).hash, '#/login', 'the error code left the address: a reload does not repeat the message')
  assert.equal(await page.getByRole('button', { name: 'Log out' }).count(), 0, 'not logged in')
  await screenshot(page, 'login-provider-denied')

  // This browser starts a login (it gets the flow cookie; the provider is not visited),
  // but the answer that comes back carries a state that is not that login's.
  await page.evaluate(async () => { await fetch('/api/session/oidc/testid', { redirect: 'manual' }) })
  assert.ok((await context.cookies()).some((c) => c.name === OIDC_FLOW_COOKIE), 'a login is in progress in this browser')
  await go(page, new URL('/api/session/oidc/testid/callback?code=stolen-code&state=forged-state', stack.url).href)
  await message.waitFor()
  assert.match(await message.innerText(), /answer could not be verified/)
  assert.equal(await page.getByRole('button', { name: 'Log out' }).count(), 0, 'still not logged in')
  await screenshot(page, 'login-provider-forged')
  assert.deepEqual(problems, [])
})
