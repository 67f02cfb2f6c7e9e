/**
 * Proxy benchmark: the same minimal HTTP app on loopback reached
 *   1. directly,
 *   2. through plain @fastify/http-proxy (HTTP),
 *   3. through plain @fastify/http-proxy with TLS (the fair baseline for 4),
 *   4. through Granary's proxy (TLS, grain session cookie, permission check
 *      via core/sharing, header injection, CSP),
 *   5. through nginx (TLS), when `nginx` is installed.
 * Each server runs in its own process; autocannon runs here, at moderate load
 * (10 connections, 1 request in flight each; BENCH_CONNECTIONS to change),
 * in turns (BENCH_ROUNDS rounds of BENCH_DURATION_S seconds each, medians
 * kept). Prints a table, then one line of JSON with the figures LAST.
 *
 * Run: `npm run bench:proxy` (needs `REDIS_URL`, or starts a private
 * redis-server on a Unix socket).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import type { FastifyInstance } from 'fastify'

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10)
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8)
const WARMUP_S = 2
/** Targets are measured in turns, ROUNDS times, and the median kept: the machine is shared, and load comes and goes. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const BODY = JSON.stringify({ ok: true, text: 'hello from a grain' })
const HERE = new URL('.', import.meta.url).pathname

interface Target { name: string, url: string, headers?: Record<string, string> }
interface Figures { reqPerSec: number, p50Ms: number, p99Ms: number, errors: number, non2xx: number }

/** Child process modes: each prints one JSON line `{port, ...}` once it listens. */
async function serve (mode: string, arg: string): Promise<void> {
  process.once('SIGTERM', () => process.exit(0)) // exit normally, so --cpu-prof can write its profile
  const say = (o: object): void => { process.stdout.write(JSON.stringify(o) + '\n') }
  if (mode === 'upstream') {
    const server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end(BODY) })
    server.keepAliveTimeout = 60_000
    server.listen(0, '127.0.0.1', () => say({ port: (server.address() as AddressInfo).port }))
    return
  }
  const upstreamPort = Number(arg.split(' ')[0])
  const Fastify = (await import('fastify')).default
  const { loadTls } = await import('../proxy/tls.js')
  const tlsDir = mkdtempSync(join(tmpdir(), 'granary-bench-tls-'))
  const tls = await loadTls({ tlsDir, baseDomain: 'localhost' })
  if (mode === 'http-proxy' || mode === 'http-proxy-tls') {
    const proxy = (await import('@fastify/http-proxy')).default
    const app = (mode === 'http-proxy-tls' ? Fastify({ https: { key: tls.key, cert: tls.cert } }) : Fastify()) as unknown as FastifyInstance
    await app.register(proxy, { upstream: `http://127.0.0.1:${upstreamPort}` })
    await app.listen({ host: '127.0.0.1', port: 0 })
    say({ port: (app.server.address() as AddressInfo).port })
    return
  }
  if (mode === 'granary') {
    const { build } = await import('../proxy/app.js')
    const { loadProxyConfig } = await import('../core/settings.js')
    const { staticAppDirectory } = await import('../proxy/apps.js')
    const { GRAIN_COOKIE } = await import('../proxy/http/cookies.js')
    const manifest = {
      id: 'bench', name: 'Bench', version: '1.0.0', image: 'x', port: 8000, dataPath: '/data',
      permissions: [{ id: 'read', title: 'Read' }, { id: 'write', title: 'Write' }],
      roles: [{ id: 'viewer', title: 'Viewer', permissions: ['read'] }], actions: [{ id: 'new', title: 'New' }],
    }
    const controlPlane = {
      health: async () => ({ ok: true, redis: true, docker: true }),
      call: async <T>(method: string, path: string) => {
        if (path.endsWith('/wake')) return { status: 200, body: { host: '127.0.0.1', port: upstreamPort } as T }
        if (path === '/access') return { status: 204, body: undefined as T }
        throw new Error(`unexpected ${method} ${path}`)
      },
    }
    const config = loadProxyConfig({ ADMIN_PASSWORD: 'bench-admin-password' })
    const app = await build({
      config, controlPlane, tls, apps: staticAppDirectory([manifest]),
      logger: process.env.BENCH_LOG === '1' ? { level: 'warn' } : false, redisUrl: arg.split(' ')[1], redisKeyPrefix: `bench:${process.pid}:`, serverSecret: 'bench',
    })
    const owner = await app.services.users.create({ username: 'alice' })
    const reader = await app.services.users.create({ username: 'bob' })
    const grain = await app.services.grains.create({ appId: 'bench', appVersion: '1.0.0', title: 'Bench', owner: owner.id })
    // Measure a shared (not owned) grain: the permission check walks the share graph.
    await app.services.sharing.share({ grainId: grain.id, actor: owner.id, to: reader.id, permissions: ['read'] })
    const session = await app.services.sessions.create({ userId: reader.id, kind: 'grain', grainId: grain.id, displayName: 'Bob' })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const { hostnameOf } = await import('../proxy/tls.js')
    say({ port: (app.server.address() as AddressInfo).port, host: `${grain.id}.${hostnameOf(config.baseDomain)}`, cookie: `${GRAIN_COOKIE}=${session}` })
    return
  }
  throw new Error(`unknown mode ${mode}`)
}

function start (args: string[]): Promise<{ child: ChildProcess, info: { port: number, host?: string, cookie?: string } }> {
  // BENCH_PROFILE=<dir>: a CPU profile of Granary's proxy process.
  const profile = process.env.BENCH_PROFILE !== undefined && args[1] === 'granary' ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', join(HERE, 'proxy.ts'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (line !== undefined) resolve({ child, info: JSON.parse(line) })
    })
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)))
  })
}

const run = (target: Target, duration: number): Promise<autocannon.Result> =>
  autocannon({ url: target.url, connections: CONNECTIONS, pipelining: 1, duration, headers: target.headers ?? {} })

async function measure (target: Target): Promise<Figures> {
  const r = await run(target, DURATION_S)
  return { reqPerSec: Math.round(r.requests.average), p50Ms: r.latency.p50, p99Ms: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx }
}

/**
 * Refuses to measure a target that does not answer with the app's own body:
 * a proxy answering with an error page or its shell would look fast.
 */
async function answersLikeTheApp (target: Target): Promise<void> {
  const { Agent, request } = await import('undici')
  const answer = await request(target.url, { headers: target.headers ?? {}, dispatcher: new Agent({ connect: { rejectUnauthorized: false } }) })
  const body = await answer.body.text()
  if (answer.statusCode !== 200 || body !== BODY) {
    throw new Error(`${target.name} does not answer like the app (status ${answer.statusCode}, body ${JSON.stringify(body.slice(0, 80))}): not measuring it`)
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
function medianOf (runs: Figures[]): Figures {
  return {
    reqPerSec: median(runs.map((r) => r.reqPerSec)), p50Ms: median(runs.map((r) => r.p50Ms)), p99Ms: median(runs.map((r) => r.p99Ms)),
    errors: runs.reduce((a, r) => a + r.errors, 0), non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
  }
}

function nginxConfig (dir: string, upstreamPort: number, cert: string, key: string): string {
  return `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off; client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  upstream app { server 127.0.0.1:${upstreamPort}; keepalive 32; }
  server {
    listen 127.0.0.1:0 ssl; ssl_certificate ${cert}; ssl_certificate_key ${key};
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header X-Permissions "read"; }
  }
}`
}

async function main (): Promise<void> {
  const children: ChildProcess[] = []
  const tmp = mkdtempSync(join(tmpdir(), 'granary-bench-'))
  let redisUrl = process.env.REDIS_URL
  try {
    if (redisUrl === undefined || redisUrl === '') {
      const sock = join(tmp, 'redis.sock')
      const redis = spawn('redis-server', ['--port', '0', '--unixsocket', sock, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
      children.push(redis)
      for (let i = 0; i < 50; i++) { try { execFileSync('redis-cli', ['-s', sock, 'ping'], { stdio: 'ignore' }); break } catch { await new Promise((r) => setTimeout(r, 100)) } }
      redisUrl = `redis+unix://${sock}`
    }
    const upstream = await start(['serve', 'upstream'])
    children.push(upstream.child)
    const up = upstream.info.port
    const targets: Target[] = [{ name: 'direct', url: `http://127.0.0.1:${up}/` }]
    for (const mode of ['http-proxy', 'http-proxy-tls'] as const) {
      const s = await start(['serve', mode, String(up)])
      children.push(s.child)
      targets.push({ name: mode, url: `${mode.endsWith('tls') ? 'https' : 'http'}://127.0.0.1:${s.info.port}/` })
    }
    const g = await start(['serve', 'granary', `${up} ${redisUrl}`])
    children.push(g.child)
    targets.push({ name: 'granary', url: `https://127.0.0.1:${g.info.port}/`, headers: { host: `${g.info.host}:${g.info.port}`, cookie: g.info.cookie! } })

    let nginxPort: number | undefined
    try {
      execFileSync('nginx', ['-v'], { stdio: 'ignore' })
      const { loadTls } = await import('../proxy/tls.js')
      await loadTls({ tlsDir: tmp, baseDomain: 'localhost' })
      // nginx cannot listen on port 0: pick a free port first.
      nginxPort = await new Promise<number>((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as AddressInfo).port; s.close(() => resolve(p)) }) })
      writeFileSync(join(tmp, 'nginx.conf'), nginxConfig(tmp, up, join(tmp, 'self-signed.crt'), join(tmp, 'self-signed.key')).replace('127.0.0.1:0', `127.0.0.1:${nginxPort}`))
      const nginx = spawn('nginx', ['-c', join(tmp, 'nginx.conf'), '-p', tmp], { stdio: 'inherit' })
      children.push(nginx)
      await new Promise((r) => setTimeout(r, 500))
      targets.push({ name: 'nginx-tls', url: `https://127.0.0.1:${nginxPort}/` })
    } catch {
      process.stderr.write('nginx not installed: skipping it\n')
    }

    // BENCH_ONLY=granary,http-proxy-tls: measure only these (e.g. with BENCH_PROFILE).
    const only = process.env.BENCH_ONLY?.split(',')
    if (only !== undefined) targets.splice(0, targets.length, ...targets.filter((t) => only.includes(t.name)))
    for (const t of targets) await answersLikeTheApp(t)
    for (const t of targets) await run(t, WARMUP_S)
    const runs = new Map<string, Figures[]>(targets.map((t) => [t.name, []]))
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of targets) runs.get(t.name)!.push(await measure(t))
    }
    const results: Record<string, Figures> = {}
    for (const t of targets) {
      results[t.name] = medianOf(runs.get(t.name)!)
      const f = results[t.name]!
      process.stdout.write(`${t.name.padEnd(16)} ${String(f.reqPerSec).padStart(7)} req/s  p50 ${f.p50Ms} ms  p99 ${f.p99Ms} ms  errors ${f.errors}  non-2xx ${f.non2xx}\n`)
    }
    const base = results['http-proxy-tls'] ?? results.granary!
    const granary = results.granary ?? base
    const line: Record<string, number | string> = {
      machine: '2 cores, 24 GiB', connections: CONNECTIONS, duration_s: DURATION_S, rounds: ROUNDS,
      ...Object.fromEntries(Object.entries(results).flatMap(([k, f]) => [[`${k}_req_per_s`, f.reqPerSec], [`${k}_p50_ms`, f.p50Ms], [`${k}_p99_ms`, f.p99Ms]])),
      granary_vs_http_proxy_tls_throughput_ratio: Number((granary.reqPerSec / base.reqPerSec).toFixed(3)),
      granary_vs_http_proxy_throughput_ratio: Number((granary.reqPerSec / (results['http-proxy'] ?? granary).reqPerSec).toFixed(3)),
      granary_added_p99_ms: granary.p99Ms - base.p99Ms,
      granary_errors: granary.errors + granary.non2xx,
    }
    process.stdout.write(JSON.stringify(line) + '\n')
  } finally {
    for (const c of children.reverse()) c.kill('SIGTERM')
    rmSync(tmp, { recursive: true, force: true })
  }
}

if (process.argv[2] === 'serve') await serve(process.argv[3] ?? '', process.argv[4] ?? '')
else await main()
