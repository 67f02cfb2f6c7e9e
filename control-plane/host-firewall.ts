/**
 * Keeps grains from opening connections to the host itself. Docker's
 * `Internal` network drops what a grain sends *through* the host (forwarded
 * traffic), but a packet to one of the host's own addresses (the bridge
 * gateway, say) is delivered locally, so any service listening on all
 * addresses would be reachable from every grain. One rule on the INPUT chain
 * drops new connections arriving from the grain bridge; replies to
 * connections the host opens (the proxy talking to grains) still pass.
 *
 * Needs root in the host's network namespace (as the control plane has when it
 * runs on the host). Where that is not possible the control plane logs a
 * warning and carries on: grains can then connect to any host service that
 * listens on all addresses.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { promisify } from 'node:util'

const run = promisify(execFile)
const IPTABLES = 'iptables'

/** The Linux bridge name Granary gives its grain network (15 characters at most). */
export const bridgeNameFor = (network: string): string => `gr-${createHash('sha256').update(network).digest('hex').slice(0, 12)}`

const ruleFor = (bridge: string): string[] => ['INPUT', '-i', bridge, '-m', 'conntrack', '!', '--ctstate', 'ESTABLISHED,RELATED', '-m', 'comment', '--comment', 'granary: grains may not connect to the host', '-j', 'DROP']

/** Adds the rule unless present. Throws if iptables is missing or refuses (not root). */
export async function blockGrainsFromHost (bridge: string): Promise<void> {
  try {
    await run(IPTABLES, ['-w', '-C', ...ruleFor(bridge)])
    return
  } catch {
    // Not there yet (or iptables is unusable: the insert below says which).
  }
  await run(IPTABLES, ['-w', '-I', ...ruleFor(bridge)])
}

/** Removes the rule (when its network is removed). Succeeds silently if absent. */
export async function unblockGrainsFromHost (bridge: string): Promise<void> {
  try {
    for (;;) await run(IPTABLES, ['-w', '-D', ...ruleFor(bridge)])
  } catch {
    // No (more) such rule.
  }
}
