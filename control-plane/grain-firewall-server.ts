/**
 * Entry point of the `grain-firewall` docker compose service:
 * `node dist/control-plane/grain-firewall-server.js`, in the control-plane
 * image, as root with only CAP_NET_ADMIN in the host's network namespace.
 * Holds the rule that keeps grains from connecting to the host for the bridge
 * of GRAIN_NETWORK until SIGTERM (`docker compose down`), then removes it.
 */
import { pino } from 'pino'
import { loadGrainFirewallConfig } from '../core/settings.js'
import { closeOnSignals, loadOrExit, loggerOptions } from '../core/start.js'
import { keepGrainsBlocked } from './grain-firewall.js'
import { bridgeNameFor } from './host-firewall.js'

const config = loadOrExit('grain-firewall', () => loadGrainFirewallConfig(process.env))
const log = pino(loggerOptions(config.logLevel))
const bridge = bridgeNameFor(config.grainNetwork)
log.info({ network: config.grainNetwork, bridge, checkMs: config.grainFirewallCheckMs }, 'grain firewall starting')
closeOnSignals(await keepGrainsBlocked({ bridge, checkMs: config.grainFirewallCheckMs, log }))
