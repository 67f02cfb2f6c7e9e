/**
 * One Granary stack (the up command, on a data directory of its own) and one
 * Chromium for a browser test file: started before its tests, stopped after.
 * Read `world.stack` and `world.browser` inside tests.
 */
import { after, before, type TestContext } from 'node:test'
import type { Browser } from 'playwright-core'
import { launchBrowser, newPerson, screenshot } from './browser.js'
import { createUser, login } from './commands.js'
import { startStack, type Stack } from './stack.js'

export interface BrowserWorld { readonly stack: Stack, readonly browser: Browser }

export function stackAndBrowser (extraEnv: Record<string, string> = {}): BrowserWorld {
  const world: { stack?: Stack, browser?: Browser } = {}
  before(async () => {
    world.stack = await startStack(extraEnv)
    world.browser = await launchBrowser()
  })
  after(async () => {
    await world.browser?.close()
    await world.stack?.stop()
  })
  return {
    get stack () { if (world.stack === undefined) throw new Error('the stack is not started'); return world.stack },
    get browser () { if (world.browser === undefined) throw new Error('the browser is not started'); return world.browser },
  }
}

type Person = Awaited<ReturnType<typeof newPerson>>

/**
 * The admin plus one logged-in browser per display name (username = the name in
 * lower case, password `<username>-password`), each created by the admin on the
 * admin screen. When the test ends, each person's last screen is saved as
 * `<prefix>-last-<who>` (the first place to look after a failure) and every
 * browser context is closed.
 */
export async function loggedInPeople<N extends string> (t: TestContext, world: BrowserWorld, prefix: string, names: readonly N[]): Promise<Record<'admin' | N, Person>> {
  const people = { admin: await newPerson(world.browser) } as Record<'admin' | N, Person>
  for (const name of names) people[name] = await newPerson(world.browser)
  t.after(async () => {
    for (const [who, p] of Object.entries<Person>(people)) await screenshot(p.page, `${prefix}-last-${who.toLowerCase()}`).catch(() => {})
    await Promise.all(Object.values<Person>(people).map((p) => p.context.close()))
  })
  await login(people.admin.page, world.stack.url, 'admin', world.stack.adminPassword)
  for (const name of names) await createUser(people.admin.page, name.toLowerCase(), `${name.toLowerCase()}-password`, name)
  for (const name of names) await login(people[name].page, world.stack.url, name.toLowerCase(), `${name.toLowerCase()}-password`)
  return people
}
