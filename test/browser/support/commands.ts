/**
 * Small reusable commands for browser tests, each doing what a person does in
 * the shell (in the spirit of Sandstorm's `login`, `newGrain`, `share`). They
 * use the same labels and buttons a screen-reader user would, so a test that
 * passes also says the UI is labelled.
 */
import assert from 'node:assert/strict'
import type { Frame, Locator, Page, Request, Response } from 'playwright-core'

const NAVIGATION_ATTEMPTS = 4

/**
 * Opens a shell URL and waits until the shell has rendered a screen. Again
 * when Chromium aborts the page or one of its scripts with ERR_NETWORK_CHANGED:
 * it does that whenever a network interface appears, and Docker adds one (a
 * veth) for every grain container it starts, which these tests do all the time.
 */
export async function go (page: Page, url: string): Promise<Response | null> {
  for (let attempt = 1; ; attempt++) {
    let changed = false
    const onFailed = (r: Request) => { if (r.failure()?.errorText.includes('ERR_NETWORK_CHANGED') === true) changed = true }
    page.on('requestfailed', onFailed)
    try {
      // The same URL again would be a no-op fragment navigation: reload to get fresh data.
      const res = page.url() === url ? await page.reload() : await page.goto(url)
      await page.waitForFunction(() => document.body?.dataset.screen !== undefined, null, { timeout: changed ? 1000 : 10_000 })
      return res
    } catch (err) {
      if (attempt >= NAVIGATION_ATTEMPTS || !(changed || String(err).includes('ERR_NETWORK_CHANGED'))) throw err
      await page.waitForTimeout(250)
    } finally {
      page.off('requestfailed', onFailed)
    }
  }
}

/** Logs in by password from the login screen and waits until the shell shows the user logged in. */
export async function login (page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await go(page, new URL('/#/login', baseUrl).href)
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Log in', exact: true }).click()
  await page.getByRole('button', { name: 'Log out' }).waitFor()
}

/** Logs out from the top bar and waits for the login form. */
export async function logout (page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Log out' }).click()
  await page.getByRole('heading', { name: 'Log in to Granary' }).waitFor()
}

/** As an admin on the admin screen: creates an account with a password. Resolves to its user id. */
export async function createUser (page: Page, username: string, password: string, displayName?: string): Promise<string> {
  if (!page.url().includes('#/admin/users')) {
    // Straight to the Users tab (clicking Admin then Users raced the tab's re-render on a loaded machine).
    const usersTab = new URL('/#/admin/users', page.url()).href
    await go(page, usersTab)
    // On a loaded machine the first render can be lost; a person would reload once.
    await page.locator('#panel-users').waitFor({ timeout: 15_000 }).catch(async () => {
      await page.reload()
      await page.locator('#panel-users').waitFor({ timeout: 30_000 })
    })
  }
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Display name').fill(displayName ?? '')
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Create user' }).click()
  const row = page.locator(`tr[data-username="${username}"]`)
  await row.waitFor()
  return (await row.getAttribute('data-user-id')) ?? ''
}

/** From the grain list: creates a grain with an app's action and opens it. Resolves to its id. */
export async function newGrain (page: Page, appId: string, title: string, actionId?: string): Promise<string> {
  await go(page, new URL('/#/grains', page.url()).href)
  const selector = `button.app-action[data-app="${appId}"]${actionId === undefined ? '' : `[data-action="${actionId}"]`}`
  await page.locator(selector).first().click()
  const dialog = page.getByRole('dialog')
  await dialog.getByLabel('Title', { exact: true }).fill(title)
  await dialog.getByRole('button', { name: 'Create' }).click()
  await page.waitForURL(/#\/grain\/[^/]+$/)
  await page.getByRole('heading', { name: title, level: 1 }).waitFor()
  return decodeURIComponent(page.url().split('#/grain/')[1]!)
}

/** Opens a grain the user can see, from the grain list, and waits for its frame to load. */
export async function openGrain (page: Page, title: string): Promise<Frame> {
  await go(page, new URL('/#/grains', page.url()).href)
  await page.getByRole('link', { name: title, exact: true }).click()
  return grainFrame(page)
}

/** The grain's frame, once it has loaded (the "starting…" state is gone). */
export async function grainFrame (page: Page): Promise<Frame> {
  const handle = await page.locator('#grain-frame').elementHandle()
  assert.ok(handle, 'the grain frame is on the page')
  await page.locator('.starting').waitFor({ state: 'detached', timeout: 60_000 })
  const frame = await handle.contentFrame()
  assert.ok(frame, 'the grain frame has content')
  return frame
}

/** On an open grain: shares it with a person in a role (role id from the manifest), then closes the dialog. */
export async function share (page: Page, username: string, roleId: string): Promise<void> {
  await page.getByRole('button', { name: 'Share', exact: true }).click()
  const dialog = page.getByRole('dialog')
  await dialog.getByLabel('Username').fill(username)
  await dialog.locator('#share-role').selectOption(roleId)
  await dialog.getByRole('button', { name: 'Share', exact: true }).click()
  await page.locator('#status').filter({ hasText: `Shared with ${username}` }).waitFor()
  await dialog.getByRole('button', { name: 'Close' }).click()
  await dialog.waitFor({ state: 'detached' })
}

/** On an open grain: opens "Who has access" and waits for its lists. Resolves to the dialog. */
export async function openAccess (page: Page): Promise<Locator> {
  await page.getByRole('button', { name: 'Who has access' }).click()
  const dialog = page.getByRole('dialog')
  await dialog.locator('#access-principals').waitFor()
  return dialog
}

/** In the open "Who has access" dialog: revokes the share from one user to another (by user id); waits until it is gone. */
export async function revoke (page: Page, fromId: string, toId: string): Promise<void> {
  const row = page.getByRole('dialog').locator(`#access-edges li[data-from-id="${fromId}"][data-to-id="${toId}"]`)
  await row.getByRole('button', { name: /^Revoke share / }).click()
  await page.locator('#status').filter({ hasText: 'Revoked the share from' }).waitFor()
  await row.waitFor({ state: 'detached' })
}

/** The person's row in the open "Who has access" dialog, by user id. */
export const accessRow = (page: Page, userId: string): Locator =>
  page.getByRole('dialog').locator(`#access-principals li[data-principal-id="${userId}"]`)

/** The effective permissions text shown for one person (by user id) in the open "Who has access" dialog. */
export async function accessOf (page: Page, userId: string): Promise<string> {
  return (await accessRow(page, userId).locator('.perms').innerText()).trim()
}

export async function closeDialog (page: Page): Promise<void> {
  const dialog = page.getByRole('dialog')
  await dialog.getByRole('button', { name: 'Close' }).click()
  await dialog.waitFor({ state: 'detached' })
}
