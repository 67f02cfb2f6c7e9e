import assert from 'node:assert/strict'
import { test } from 'node:test'
import { chromium } from 'playwright-core'
import { contractHeaders, startAppProcess } from '../../test/support/grain-app.js'
import { COMMENTER, EDITOR, VIEWER } from '../../test/support/board-checks.js'

test('board in the browser: an editor adds and moves a card, a commenter comments, a viewer watches live without controls', async (t) => {
  const app = await startAppProcess(t, 'board')
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] })
  t.after(() => browser.close())
  const pageFor = async (caller: typeof VIEWER) => {
    const context = await browser.newContext({ extraHTTPHeaders: contractHeaders(caller) })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (err) => errors.push(err.message))
    await page.goto(app.base + '/')
    await page.getByText('live').waitFor()
    return { page, errors }
  }
  const editor = await pageFor(EDITOR)
  const commenter = await pageFor(COMMENTER)
  const viewer = await pageFor(VIEWER)
  assert.equal(await viewer.page.locator('#add').isHidden(), true)

  await editor.page.getByLabel('New card title').fill('<b>Ship</b> it')
  await editor.page.getByRole('button', { name: 'Add card' }).click()
  const card = viewer.page.locator('[data-column="todo"] article')
  await card.waitFor()
  assert.equal(await card.locator('h3').innerText(), '<b>Ship</b> it', 'shown as text, not markup')
  assert.equal(await card.locator('button').count(), 0, 'a viewer gets no buttons')

  await editor.page.getByRole('button', { name: 'Doing →' }).click()
  await viewer.page.locator('[data-column="doing"] article').waitFor()

  await commenter.page.getByLabel('Comment').fill('On it')
  await commenter.page.getByLabel('Comment').press('Enter')
  await viewer.page.getByText('On it').waitFor()
  assert.equal(await commenter.page.getByRole('button', { name: /Doing|To do|Done/ }).count(), 0, 'a commenter cannot move cards')
  assert.deepEqual([...editor.errors, ...commenter.errors, ...viewer.errors], [])
})
