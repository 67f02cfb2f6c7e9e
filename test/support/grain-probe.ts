/**
 * Looking at the network from inside a grain: run a node script in a running
 * container and read what it printed, a script that tries to open a TCP
 * connection, and host services for it to try. Used by the isolation tests of
 * the control plane and of the compose deployment.
 */
import { connect, createServer, type AddressInfo } from 'node:net'
import type { TestContext } from 'node:test'
import { docker } from './docker.js'

/** Runs `node -e script` in the running container and answers its output (stdout and stderr), trimmed. */
export async function execIn (containerId: string, script: string): Promise<string> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: ['node', '-e', script], AttachStdout: true, AttachStderr: true })
  const stream = await exec.start({ hijack: true, stdin: false })
  const chunks: Buffer[] = []
  stream.on('data', (c: Buffer) => chunks.push(c))
  await new Promise((resolve) => stream.on('end', resolve))
  // Docker's multiplexed stream: 8-byte frame headers, the length in the last 4.
  const raw = Buffer.concat(chunks)
  let out = ''
  for (let i = 0; i + 8 <= raw.length;) { const n = raw.readUInt32BE(i + 4); out += raw.subarray(i + 8, i + 8 + n).toString(); i += 8 + n }
  return out.trim()
}

/** A node script that tries host:port and prints CONNECTED, the error code (ECONNREFUSED...), or TIMEOUT after 1.5 s. */
export const probe = (host: string, port: number): string =>
  `const s=require('net').connect(${port},${JSON.stringify(host)});s.on('connect',()=>{console.log('CONNECTED');process.exit(0)});s.on('error',(e)=>{console.log(e.code);process.exit(0)});setTimeout(()=>{console.log('TIMEOUT');process.exit(0)},1500)`

/** A TCP service on the host at `address` (any free port) that answers "secret"; closed after the test. Answers its port. */
export async function listenOnHost (t: TestContext, address: string): Promise<number> {
  const server = createServer((s) => { s.on('error', () => {}); s.end('secret') })
  await new Promise<void>((resolve) => server.listen(0, address, resolve))
  t.after(() => server.close())
  return (server.address() as AddressInfo).port
}

/** Whether this process (on the host) can open a connection to host:port. */
export const hostConnects = (host: string, port: number): Promise<boolean> => new Promise((resolve) => {
  const s = connect(port, host, () => { s.destroy(); resolve(true) }).on('error', () => resolve(false))
})

/** The host's own address on a Docker network (its gateway). */
export async function gatewayOf (network: string): Promise<string> {
  const gateway = (await docker.getNetwork(network).inspect()).IPAM?.Config?.[0]?.Gateway
  if (typeof gateway !== 'string' || gateway === '') throw new Error(`network ${network} has no gateway`)
  return gateway
}
