/**
 * How the shell page and its assets are served: a strict CSP on the page,
 * versioned asset URLs cached for a year, and nothing outside `proxy/ui/`
 * reachable through the asset route (no source files, no path tricks).
 */
import assert from 'node:assert/strict'
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import Fastify from 'fastify'
import { UI_ROOT, assetVersion, uiRoutes, type UiPluginOptions } from '../../proxy/ui-plugin.js'

async function serve (t: { after: (fn: () => unknown) => void }, opts: UiPluginOptions = { baseDomain: 'localhost' }) {
  const app = Fastify()
  await app.register(uiRoutes, opts)
  t.after(() => app.close())
  return app
}

function directives (csp: string): Map<string, string> {
  return new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values.join(' ')]))
}

test('the shell page is revalidated on each load and carries a strict CSP that frames only grain origins', async (t) => {
  const app = await serve(t, { baseDomain: 'granary.example', publicPort: 8443 })
  const res = await app.inject({ url: '/' })
  assert.equal(res.statusCode, 200)
  assert.match(String(res.headers['content-type']), /^text\/html/)
  assert.equal(res.headers['cache-control'], 'no-cache')
  assert.equal(res.headers['x-content-type-options'], 'nosniff')
  const csp = directives(String(res.headers['content-security-policy']))
  assert.equal(csp.get('default-src'), "'self'")
  assert.equal(csp.get('script-src'), "'self'", 'no inline scripts, no eval')
  assert.equal(csp.get('style-src'), "'self'")
  assert.equal(csp.get('frame-src'), 'http://*.granary.example:8443')
  assert.equal(csp.get('frame-ancestors'), "'none'", 'nobody frames the shell')
  assert.equal(csp.get('object-src'), "'none'")
  assert.equal(csp.get('base-uri'), "'none'")
  assert.doesNotMatch(res.body, /<script>|\sstyle=|\son[a-z]+=/, 'the page has no inline script, style or handler the CSP would block')
  const link = await app.inject({ url: '/link' })
  assert.equal(link.body, res.body, 'sharing links (/link#<secret>) get the same page')
  assert.equal(link.headers['content-security-policy'], res.headers['content-security-policy'])
})

test('a port in BASE_DOMAIN is the grain port; the default port is left out', async (t) => {
  const withPort = await serve(t, { baseDomain: 'box.test:9443', publicPort: 1 })
  assert.match(String((await withPort.inject({ url: '/' })).headers['content-security-policy']), /frame-src http:\/\/\*\.box\.test:9443;/)
  const standard = await serve(t, { baseDomain: 'box.test', publicPort: 80 })
  assert.match(String((await standard.inject({ url: '/' })).headers['content-security-policy']), /frame-src http:\/\/\*\.box\.test;/)
})

test('assets are served under a content version and cached for a year; ETags revalidate', async (t) => {
  const app = await serve(t)
  const page = (await app.inject({ url: '/' })).body
  const version = assetVersion(UI_ROOT)
  assert.ok(page.includes(`/ui/${version}/app.js`), 'the page loads the versioned app.js')
  assert.ok(!page.includes('{{ASSET_BASE}}'))
  const js = await app.inject({ url: `/ui/${version}/app.js` })
  assert.equal(js.statusCode, 200)
  assert.match(String(js.headers['content-type']), /javascript/)
  assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable')
  const again = await app.inject({ url: `/ui/${version}/app.js`, headers: { 'if-none-match': String(js.headers.etag) } })
  assert.equal(again.statusCode, 304)
  const css = await app.inject({ url: `/ui/${version}/app.css` })
  assert.match(String(css.headers['content-type']), /text\/css/)
  const nested = await app.inject({ url: `/ui/${version}/screens/login.js` })
  assert.equal(nested.statusCode, 200)
})

test('nothing outside proxy/ui is reachable through the asset route, and old versions are gone', async (t) => {
  const app = await serve(t)
  const version = assetVersion(UI_ROOT)
  for (const url of [
    `/ui/${version}/../ui-plugin.ts`,
    `/ui/${version}/%2e%2e/ui-plugin.ts`,
    `/ui/${version}/..%2fui-plugin.ts`,
    `/ui/${version}/%2e%2e%2f%2e%2e%2fpackage.json`,
    `/ui/${version}/....//app.ts`,
    '/ui/000000000000/app.js',
    '/ui/app.js',
    '/app.js',
  ]) {
    const res = await app.inject({ url })
    assert.ok(res.statusCode === 404 || res.statusCode === 400 || res.statusCode === 403, `${url} answered ${res.statusCode}`)
    assert.doesNotMatch(res.body, /fastify-plugin|"devDependencies"|import /, `${url} leaked a file`)
  }
})

test('the asset version changes whenever any file changes', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'granary-ui-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  cpSync(UI_ROOT, dir, { recursive: true })
  const before = assetVersion(dir)
  assert.equal(assetVersion(dir), before, 'stable for unchanged files')
  writeFileSync(join(dir, 'screens', 'login.js'), '// changed\n', { flag: 'a' })
  assert.notEqual(assetVersion(dir), before)
})
