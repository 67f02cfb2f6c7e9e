/**
 * Keeps the host firewall rule of one grain bridge in place (host-firewall.ts
 * says what the rule does). Under docker compose the control plane runs
 * without the privilege to add it, so a small service of its own does:
 * `grain-firewall-server.ts`, root with only CAP_NET_ADMIN in the host's
 * network namespace, no Docker socket, no data.
 *
 * The rule names the bridge, not the network, and iptables matches `-i` on a
 * device that does not exist yet, so the rule can be in place before the
 * control plane makes the network (docker-compose.yml starts the control
 * plane only once this service's health check sees the rule).
 */
import type { BaseLogger } from 'pino'
import { blockGrainsFromHost, grainsBlockedFromHost, unblockGrainsFromHost } from './host-firewall.js'

export interface GrainFirewallOptions {
  /** The grain network's bridge device (`bridgeNameFor(GRAIN_NETWORK)`). */
  bridge: string
  /** How often to check that the rule is still there. */
  checkMs: number
  log: Pick<BaseLogger, 'debug' | 'info' | 'warn' | 'error'>
}

export interface GrainFirewall {
  readonly log: GrainFirewallOptions['log']
  /**
   * Stops checking and removes the rule. Waits for a check under way; a rule
   * that cannot be removed is logged, not thrown. Calling it again is a no-op.
   */
  close (): Promise<void>
}

/**
 * Adds the rule now, then checks it every `checkMs` and adds it again when it
 * is gone, logging each change. Never throws: a failure (iptables missing or
 * refused) is logged and retried at the next check; the health check
 * (`grainsBlockedFromHost`) reports the rule's absence meanwhile.
 */
export async function keepGrainsBlocked (opts: GrainFirewallOptions): Promise<GrainFirewall> {
  const { bridge, log } = opts
  let first = true
  const ensure = async (): Promise<void> => {
    try {
      const added = await blockGrainsFromHost(bridge)
      if (added && first) log.info({ bridge }, 'grains blocked from the host: iptables rule added')
      else if (added) log.warn({ bridge }, 'the iptables rule was gone (a firewall reload?): added it again')
      else if (first) log.info({ bridge }, 'grains blocked from the host: iptables rule already in place')
      else log.debug({ bridge }, 'iptables rule in place')
    } catch (err) {
      log.error({ err, bridge }, 'cannot add the iptables rule: grains can reach host services listening on all addresses until it is in place')
    }
    first = false
  }

  // Checks run one after another, even if iptables is slower than checkMs.
  let running = ensure()
  await running
  let closed: Promise<void> | undefined
  const timer = setInterval(() => { running = running.then(ensure) }, opts.checkMs)
  return {
    log,
    close () {
      closed ??= (async () => {
        clearInterval(timer)
        await running
        await unblockGrainsFromHost(bridge)
        try {
          if (await grainsBlockedFromHost(bridge)) log.error({ bridge }, 'cannot remove the iptables rule')
          else log.info({ bridge }, 'iptables rule removed')
        } catch (err) {
          log.error({ err, bridge }, 'cannot check that the iptables rule is removed')
        }
      })()
      return closed
    },
  }
}
