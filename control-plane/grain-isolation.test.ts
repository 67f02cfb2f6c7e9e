/**
 * What a grain can reach, checked from inside a grain container: not the
 * Docker socket, not another grain, not services the host binds to loopback,
 * nothing routed off its network (checked against another Docker network on
 * this machine, the path any outside traffic would take).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BASE_IMAGE, docker, removeTestResources, testLabels } from '../test/support/docker.js'
import { execIn, gatewayOf, hostConnects, listenOnHost, probe } from '../test/support/grain-probe.js'
import { testControlPlane, waitUntil } from '../test/support/grains.js'
import { LABELS } from './docker.js'

test('a grain reaches neither other grains, nor the host, nor other networks, nor the Docker socket', async (t) => {
  const cp = await testControlPlane(t)
  const a = await cp.createGrain()
  const b = await cp.createGrain()
  const addrA = (await cp.call('POST', `/grains/${a}/wake`)).body
  const addrB = (await cp.call('POST', `/grains/${b}/wake`)).body
  const [ca] = await docker.listContainers({ filters: JSON.stringify({ label: [`${LABELS.grain}=${a}`] }) })
  const containerA = ca!.Id

  assert.equal(await execIn(containerA, probe(addrA.host, addrA.port)), 'CONNECTED', 'the probe works: a grain reaches itself')
  assert.notEqual(await execIn(containerA, probe(addrB.host, addrB.port)), 'CONNECTED', 'grain A must not reach grain B')

  // A host service bound to loopback, tried through the network's gateway (the host's address on the bridge).
  const port = await listenOnHost(t, '127.0.0.1')
  const gateway = await gatewayOf(cp.network)
  assert.notEqual(await execIn(containerA, probe(gateway, port)), 'CONNECTED')
  // A host service listening on the host's own address on the grain bridge (as one bound to all addresses would).
  const exposedPort = await listenOnHost(t, gateway)
  assert.equal(await hostConnects(gateway, exposedPort), true, 'the host reaches it')
  assert.equal(await execIn(containerA, probe(gateway, exposedPort)), 'TIMEOUT', 'the host firewall drops new connections from grains')

  // A container on another (ordinary) Docker network on this machine: reaching it means being routed off the grain network.
  const otherRun = `${cp.runId}-other`
  t.after(() => removeTestResources(otherRun))
  const otherNet = await docker.createNetwork({ Name: `granary-test-${otherRun}`, Labels: testLabels(otherRun) })
  const outsider = await docker.createContainer({
    Image: BASE_IMAGE, Labels: testLabels(otherRun), User: '1000:1000',
    Cmd: ['node', '-e', 'require("http").createServer((q,s)=>s.end("outside")).listen(8000)'],
    HostConfig: { NetworkMode: otherNet.id, Init: true },
  })
  await outsider.start()
  const outsiderIp = Object.values((await outsider.inspect()).NetworkSettings.Networks)[0]!.IPAddress
  await waitUntil('the outsider to listen', async () => (await fetch(`http://${outsiderIp}:8000/`).then((r) => r.text(), () => '')) === 'outside')
  assert.notEqual(await execIn(containerA, probe(outsiderIp, 8000)), 'CONNECTED', 'nothing is forwarded off the grain network')

  assert.equal(await execIn(containerA, `console.log(require('fs').existsSync('/var/run/docker.sock') || require('fs').existsSync('/run/docker.sock'))`), 'false')
  assert.equal(await execIn(containerA, `try { require('fs').writeFileSync('/app/x', '1'); console.log('WROTE') } catch (e) { console.log(e.code) }`), 'EROFS')
  assert.equal(await execIn(containerA, 'console.log(process.getuid(), process.getgid())'), '1000 1000')
})
