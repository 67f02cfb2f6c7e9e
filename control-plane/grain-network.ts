/**
 * The Docker network grains live on. `Internal: true`: Docker drops anything a
 * grain sends to an address outside the network (no internet, no NAT).
 * `enable_icc: false`: grains on it cannot talk to each other. The host (the
 * proxy) still reaches every grain directly at its address on the bridge.
 */
import type Docker from 'dockerode'
import { LABELS } from './docker.js'

export const GRAIN_NETWORK_OPTIONS = {
  'com.docker.network.bridge.enable_icc': 'false',
  'com.docker.network.bridge.enable_ip_masquerade': 'false',
} as const

/** Creates the grain network if missing; refuses to use a same-named network that is not isolated. */
export async function ensureGrainNetwork (docker: Docker, name: string, extraLabels: Record<string, string> = {}): Promise<void> {
  const existing = await docker.listNetworks({ filters: JSON.stringify({ name: [name] }) })
  const match = existing.find((n) => n.Name === name)
  if (match !== undefined) {
    const options = match.Options ?? {}
    if (match.Internal !== true || options['com.docker.network.bridge.enable_icc'] !== 'false') {
      throw new Error(`Docker network ${name} exists but is not isolated (internal, no inter-container traffic); remove it or set GRAIN_NETWORK to another name`)
    }
    return
  }
  try {
    await docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      Internal: true,
      CheckDuplicate: true,
      Options: { ...GRAIN_NETWORK_OPTIONS },
      Labels: { ...extraLabels, [LABELS.managed]: 'true' },
    })
  } catch (err) {
    // Another process made it between our look and our create: fine if it is there now.
    if ((err as { statusCode?: number }).statusCode !== 409) throw err
  }
}
