/**
 * The Docker network grains live on. `Internal: true`: Docker drops anything a
 * grain sends to an address outside the network (no internet, no NAT).
 * `enable_icc: false`: grains on it cannot talk to each other. The host (the
 * proxy) still reaches every grain directly at its address on the bridge.
 */
import type Docker from 'dockerode'
import { LABELS } from './docker.js'
import { bridgeNameFor } from './host-firewall.js'

export const GRAIN_NETWORK_OPTIONS = {
  'com.docker.network.bridge.enable_icc': 'false',
  'com.docker.network.bridge.enable_ip_masquerade': 'false',
} as const

/** The Linux bridge device of a network we made (`bridgeNameFor`) or any other (`br-<id prefix>`). */
function bridgeOf (n: { Id: string, Options?: Record<string, string> }): string {
  return n.Options?.['com.docker.network.bridge.name'] ?? `br-${n.Id.slice(0, 12)}`
}

/**
 * Creates the grain network if missing; refuses to use a same-named network
 * that is not isolated, or whose bridge device is not the one Granary names
 * (`bridgeNameFor`): the grain-firewall service, which has no Docker socket,
 * guards that name, so grains on another bridge could reach the host.
 * Answers its bridge device.
 */
export async function ensureGrainNetwork (docker: Docker, name: string, extraLabels: Record<string, string> = {}): Promise<string> {
  const existing = await docker.listNetworks({ filters: JSON.stringify({ name: [name] }) })
  const match = existing.find((n) => n.Name === name)
  if (match !== undefined) {
    const options = match.Options ?? {}
    if (match.Internal !== true || options['com.docker.network.bridge.enable_icc'] !== 'false') {
      throw new Error(`Docker network ${name} exists but is not isolated (internal, no inter-container traffic); remove it or set GRAIN_NETWORK to another name`)
    }
    const bridge = bridgeOf(match)
    if (bridge !== bridgeNameFor(name)) {
      throw new Error(`Docker network ${name} exists on bridge ${bridge}, not on ${bridgeNameFor(name)}, the bridge Granary's host firewall rule names; remove it (docker network rm ${name}) and Granary makes it again`)
    }
    return bridge
  }
  try {
    await docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      Internal: true,
      CheckDuplicate: true,
      Options: { ...GRAIN_NETWORK_OPTIONS, 'com.docker.network.bridge.name': bridgeNameFor(name) },
      Labels: { ...extraLabels, [LABELS.managed]: 'true' },
    })
  } catch (err) {
    // Another process made it between our look and our create: fine if it is there now.
    if ((err as { statusCode?: number }).statusCode !== 409) throw err
  }
  return bridgeNameFor(name)
}
