/**
 * Chromium for browser tests: Debian's /usr/bin/chromium (the test command
 * installs it when missing), driven by playwright-core. Headless, no sandbox
 * (tests run as root in containers), nothing that phones home, and the
 * proxy's self-signed certificate accepted. Chromium resolves `*.localhost`
 * to loopback itself, so grain origins need no DNS.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

export const CHROMIUM_PATH = '/usr/bin/chromium'
export const SCREENSHOT_DIR = new URL('../../../artifacts/screenshots/', import.meta.url).pathname

export async function launchBrowser (): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
      // Resolve the shell and every grain host to loopback without a DNS job: Chromium aborts
      // DNS jobs in flight (ERR_NETWORK_CHANGED) whenever Docker adds a network interface.
      '--host-resolver-rules=MAP localhost 127.0.0.1, MAP *.localhost 127.0.0.1'],
  })
}

/** A fresh browser profile (its own cookies): one per simulated person. */
export async function newPerson (browser: Browser, opts: { phone?: boolean } = {}): Promise<{ context: BrowserContext, page: Page, problems: string[] }> {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    ...(opts.phone === true ? { viewport: { width: 390, height: 780 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true } : { viewport: { width: 1200, height: 800 } }),
  })
  context.setDefaultTimeout(15_000)
  const page = await context.newPage()
  // Script errors, CSP violations and failed loads of the shell's assets are bugs: tests assert this stays empty.
  const problems: string[] = []
  page.on('console', (msg) => { if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(msg.text()) })
  page.on('pageerror', (err) => problems.push(err.message))
  page.on('requestfailed', (req) => { if (!String(req.failure()?.errorText).includes('ERR_NETWORK_CHANGED') && !String(req.failure()?.errorText).includes('ERR_ABORTED')) problems.push(`${req.failure()?.errorText ?? 'failed'} ${req.url()}`) })
  // Only the shell's own assets: API answers are shown as messages, and grain hosts answer
  // 503 while a grain starts and 403 when access is refused, both on purpose.
  page.on('response', (res) => { if (res.status() >= 400 && new URL(res.url()).pathname.startsWith('/ui/')) problems.push(`${res.status()} ${res.url()}`) })
  return { context, page, problems }
}

export async function screenshot (page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) })
}
