/**
 * One Granary stack (the up command, on a data directory of its own) and one
 * Chromium for a browser test file: started before its tests, stopped after.
 * Read `world.stack` and `world.browser` inside tests.
 */
import { after, before } from 'node:test'
import type { Browser } from 'playwright-core'
import { launchBrowser } from './browser.js'
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
