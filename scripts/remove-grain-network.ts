/**
 * Removes a grain network and the host firewall rule made for it, unless
 * containers are still attached (another installation may share it): the up
 * command runs this on exit, after removing its own grain containers.
 * Usage: tsx scripts/remove-grain-network.ts <network name>
 */
import Docker from 'dockerode'
import { bridgeNameFor, unblockGrainsFromHost } from '../control-plane/host-firewall.js'

const name = process.argv[2]
if (name === undefined || name === '') {
  process.stderr.write('usage: remove-grain-network.ts <network name>\n')
  process.exit(2)
}
const docker = new Docker()
const [network] = await docker.listNetworks({ filters: JSON.stringify({ name: [`^${name}$`] }) })
if (network !== undefined) {
  const info = await docker.getNetwork(network.Id).inspect() as { Containers?: Record<string, unknown> }
  if (Object.keys(info.Containers ?? {}).length > 0) process.exit(0)
  await docker.getNetwork(network.Id).remove()
}
await unblockGrainsFromHost(bridgeNameFor(name))
