/**
 * Keeps grains from opening connections to the host itself. Docker's
 * `Internal` network drops what a grain sends *through* the host (forwarded
 * traffic), but a packet to one of the host's own addresses (the bridge
 * gateway, say) is delivered locally, so any service listening on all
 * addresses would be reachable from every grain. One rule on the INPUT chain
 * drops new connections arriving from the grain bridge; replies to
 * connections the host opens (the proxy talking to grains) still pass.
 *
 * Needs root (CAP_NET_ADMIN) in the host's network namespace: the control
 * plane has it when it runs on the host; under docker compose the
 * `grain-firewall` service (grain-firewall.ts) holds it instead. Without
 * either, grains can connect to any host service that listens on all
 * addresses.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { promisify } from 'node:util'

const run = promisify(execFile)
const IPTABLES = 'iptables'

/** The Linux bridge name Granary gives its grain network (15 characters at most). */
export const bridgeNameFor = (network: string): string => `gr-${createHash('sha256').update(network).digest('hex').slice(0, 12)}`

const ruleFor = (bridge: string): string[] => ['INPUT', '-i', bridge, '-m', 'conntrack', '!', '--ctstate', 'ESTABLISHED,RELATED', '-m', 'comment', '--comment', 'granary: grains may not connect to the host', '-j', 'DROP']

/** Exit status of `iptables -C` when the rule is not there (other failures exit otherwise). */
const NO_SUCH_RULE = 1

/**
 * Whether the rule for `bridge` is in place. Throws, naming iptables' complaint,
 * when iptables is missing or refuses (not root, no CAP_NET_ADMIN).
 */
export async function grainsBlockedFromHost (bridge: string): Promise<boolean> {
  try {
    await run(IPTABLES, ['-w', '-C', ...ruleFor(bridge)])
    return true
  } catch (err) {
    const e = err as Error & { code?: number | string, stderr?: string }
    if (e.code === NO_SUCH_RULE) return false
    throw new Error(`iptables cannot check the rule: ${e.stderr?.trim() || e.message}`, { cause: err })
  }
}

/** Adds the rule unless present; answers whether it added it. Throws if iptables is missing or refuses. */
export async function blockGrainsFromHost (bridge: string): Promise<boolean> {
  if (await grainsBlockedFromHost(bridge)) return false
  await run(IPTABLES, ['-w', '-I', ...ruleFor(bridge)])
  return true
}

/** Removes the rule (when its network is removed). Succeeds silently if absent. */
export async function unblockGrainsFromHost (bridge: string): Promise<void> {
  try {
    for (;;) await run(IPTABLES, ['-w', '-D', ...ruleFor(bridge)])
  } catch {
    // No (more) such rule.
  }
}
