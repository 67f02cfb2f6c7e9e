// The minimal grain: a node:http server on PORT that answers every request
// with JSON holding the request's X-* headers and how many requests this grain
// has served so far (counted in a file under DATA_DIR, so persistence across
// restarts is visible). GET /crash ends the process (exit 1); NEVER_LISTEN=1
// boots without ever listening (a grain that cannot start).
import { createServer } from 'node:http'
import { readFileSync, writeFileSync, renameSync } from 'node:fs'
import { join } from 'node:path'

const port = Number(process.env.PORT ?? 8000)
const dataDir = process.env.DATA_DIR ?? '/data'
const counterFile = join(dataDir, 'count')

function readCount () {
  try {
    return Number(readFileSync(counterFile, 'utf8')) || 0
  } catch {
    return 0
  }
}

let count = readCount()

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/crash') {
    console.error('crash requested')
    process.exit(1)
  }
  count += 1
  // Write then rename: a crash never leaves a half-written counter.
  writeFileSync(counterFile + '.tmp', String(count))
  renameSync(counterFile + '.tmp', counterFile)
  const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith('x-')))
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify({ app: 'hello', method: req.method, url: req.url, headers, count }))
})

if (process.env.NEVER_LISTEN === '1') {
  console.error('hello: NEVER_LISTEN=1, booting forever without listening')
  const idle = () => setTimeout(idle, 60_000)
  idle()
} else {
  server.listen(port, () => console.error(`hello: listening on ${port}, ${count} requests so far`))
}
process.on('SIGTERM', () => {
  server.close(() => process.exit(0))
  server.closeAllConnections()
})
