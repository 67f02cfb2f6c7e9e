import assert from 'node:assert/strict'
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { loadProxyConfig } from '../core/settings.js'
import { testRedisUrl, uniquePrefix } from '../test/support/env.js'
import { build } from './app.js'
import type { ControlPlaneClient } from './control-plane-client.js'
import { loadTls, redirectServer } from './tls.js'

const controlPlane: ControlPlaneClient = { call: async () => { throw new Error('not used') }, health: async () => ({ ok: true, redis: true, docker: true }) }

test('without configured files a self-signed certificate for the domain and its grains is made once and reused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'granary-tls-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const first = await loadTls({ tlsDir: join(dir, 'tls'), baseDomain: 'granary.test:8443' })
  assert.equal(first.selfSigned, true)
  const cert = new X509Certificate(first.cert)
  assert.equal(cert.subjectAltName, 'DNS:granary.test, DNS:*.granary.test')
  assert.equal(cert.subject, 'CN=granary.test')
  assert.ok(cert.checkHost('granary.test') !== undefined, 'the shell host is covered')
  assert.ok(cert.checkHost('abcdefgh.granary.test') !== undefined, 'grain hosts are covered')
  assert.equal(cert.checkHost('other.test'), undefined)
  assert.equal(cert.ca, false, 'a server certificate, not a CA')
  assert.ok(cert.checkPrivateKey(createPrivateKey(first.key)), 'the key belongs to the certificate')
  assert.ok(cert.verify(cert.publicKey), 'signed by its own key')
  const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000
  assert.ok(days > 800 && days < 830, `valid for about 825 days (${days})`)
  assert.equal(statSync(join(dir, 'tls', 'self-signed.key')).mode & 0o777, 0o600, 'the key is private')
  const second = await loadTls({ tlsDir: join(dir, 'tls'), baseDomain: 'granary.test' })
  assert.equal(second.cert, first.cert)
  assert.equal(second.key, first.key)
})

test('configured certificate files are used; only one of them is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'granary-tls-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  await loadTls({ tlsDir: dir, baseDomain: 'example.org' })
  const own = await loadTls({ certFile: join(dir, 'self-signed.crt'), keyFile: join(dir, 'self-signed.key'), tlsDir: join(dir, 'unused'), baseDomain: 'x' })
  assert.equal(own.selfSigned, false)
  await assert.rejects(loadTls({ certFile: join(dir, 'self-signed.crt'), tlsDir: dir, baseDomain: 'x' }), /both TLS_CERT_FILE and TLS_KEY_FILE/)
})

test('the proxy serves HTTPS with HSTS, refuses TLS 1.1, and plain HTTP only redirects', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'granary-tls-'))
  const tls = await loadTls({ tlsDir: dir, baseDomain: 'localhost' })
  const app = await build({ config: loadProxyConfig({}), controlPlane, tls, redisUrl: testRedisUrl(), redisKeyPrefix: uniquePrefix() })
  const redirect = redirectServer(8443)
  t.after(async () => {
    await app.close()
    redirect.close()
    rmSync(dir, { recursive: true, force: true })
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as AddressInfo).port
  const get = (options: Record<string, unknown>): Promise<{ status: number, headers: Record<string, unknown> }> => new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false, ...options }, (res) => {
      res.resume()
      resolve({ status: res.statusCode ?? 0, headers: res.headers })
    })
    req.on('error', reject)
    req.end()
  })
  const ok = await get({})
  assert.equal(ok.status, 200)
  assert.match(String(ok.headers['strict-transport-security']), /max-age=\d+/)
  await assert.rejects(get({ maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }))

  await new Promise<void>((resolve) => redirect.listen(0, '127.0.0.1', resolve))
  const plain = await new Promise<{ status: number, location: string | undefined }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: (redirect.address() as AddressInfo).port, path: '/api/me?x=1', headers: { host: 'granary.test:8080' } }, (res) => {
      res.resume()
      resolve({ status: res.statusCode ?? 0, location: res.headers.location })
    })
    req.on('error', reject)
    req.end()
  })
  assert.equal(plain.status, 308)
  assert.equal(plain.location, 'https://granary.test:8443/api/me?x=1')
})
