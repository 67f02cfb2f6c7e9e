import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { chromium, type Browser, type Page } from 'playwright-core'
import { call, contractHeaders, startAppProcess, type Caller, type RunningApp } from '../../test/support/grain-app.js'
import { READER, WRITER, WRITER2 } from '../../test/support/notes-checks.js'

async function open (t: TestContext, browser: Browser, app: RunningApp, caller: Caller): Promise<Page> {
  // The proxy would set these headers; here the browser sends them itself (the page and its WebSocket).
  const context = await browser.newContext({ extraHTTPHeaders: contractHeaders(caller) })
  t.after(() => context.close())
  const page = await context.newPage()
  await page.goto(app.base + '/')
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'saved')
  return page
}

const textOf = (page: Page) => page.locator('#text').inputValue()

test('notes in the browser: two people typing at once lose no keystroke; a reader follows live and cannot type', async (t) => {
  const app = await startAppProcess(t, 'notes')
  await call(app, 'PUT', '/api/note', WRITER, { text: 'start\nend' })
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] })
  t.after(() => browser.close())
  const [alice, bob, rita] = [await open(t, browser, app, WRITER), await open(t, browser, app, WRITER2), await open(t, browser, app, READER)]
  assert.equal(await textOf(rita), 'start\nend')
  assert.equal(await rita.locator('#text').getAttribute('readonly'), '')
  assert.match(await rita.locator('#users').innerText(), /Wim Writer/)

  // Alice types at the top while Bob types at the bottom, keystroke by keystroke, interleaved.
  await alice.locator('#text').focus()
  await alice.evaluate(() => (document.getElementById('text') as HTMLTextAreaElement).setSelectionRange(5, 5))
  await bob.locator('#text').focus()
  await bob.evaluate(() => { const t = document.getElementById('text') as HTMLTextAreaElement; t.setSelectionRange(t.value.length, t.value.length) })
  const a = ' alpha beta gamma'
  const b = ' one two three four'
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    await Promise.all([a[i] !== undefined ? alice.keyboard.type(a[i]!) : undefined, b[i] !== undefined ? bob.keyboard.type(b[i]!) : undefined])
  }
  const expected = `start${a}\nend${b}`
  for (const page of [alice, bob, rita]) {
    await page.waitForFunction((want) => (document.getElementById('text') as HTMLTextAreaElement).value === want, expected, { timeout: 5000 })
  }
  await alice.waitForFunction(() => document.getElementById('status')?.textContent === 'saved')
  await bob.waitForFunction(() => document.getElementById('status')?.textContent === 'saved')
  assert.equal((await call(app, 'GET', '/api/note', READER)).body.text, expected)

  // The reader's keystrokes go nowhere.
  await rita.locator('#text').focus()
  await rita.keyboard.type('vandal')
  assert.equal(await textOf(rita), expected)
  assert.equal((await call(app, 'GET', '/api/note', READER)).body.text, expected)
})

test('notes in the browser: what was typed just before the server went away is saved once it is back', async (t) => {
  const first = await startAppProcess(t, 'notes')
  await call(first, 'PUT', '/api/note', WRITER, { text: 'draft' })
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] })
  t.after(() => browser.close())
  const page = await open(t, browser, first, WRITER)
  await new Promise((resolve) => setTimeout(resolve, 300)) // let it save 'draft' to disk
  // The server freezes: keystrokes go out but nothing is acknowledged; then it dies.
  first.child.kill('SIGSTOP')
  await page.locator('#text').focus()
  await page.keyboard.press('End')
  await page.keyboard.type(' and more')
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'saving…')
  first.child.kill('SIGKILL')
  await first.stop()
  await page.waitForFunction(() => (document.getElementById('text') as HTMLTextAreaElement).readOnly)
  // Back on the same port with the same data: the page reconnects and sends what never arrived.
  const again = await startAppProcess(t, 'notes', first.dataDir, first.port)
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'saved', undefined, { timeout: 10_000 })
  assert.equal((await call(again, 'GET', '/api/note', READER)).body.text, 'draft and more')
  assert.equal(await textOf(page), 'draft and more')
})
