/**
 * The grain-firewall keeper against the host's real iptables (the tests run
 * as root): it adds the rule for a bridge that does not exist yet, puts it
 * back when something removed it, and removes it on close.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { waitUntil } from '../test/support/grains.js'
import { keepGrainsBlocked, type GrainFirewallOptions } from './grain-firewall.js'
import { blockGrainsFromHost, grainsBlockedFromHost, unblockGrainsFromHost } from './host-firewall.js'

/** A logger that keeps `level: message` lines. */
function recordingLog (): GrainFirewallOptions['log'] & { lines: string[] } {
  const lines: string[] = []
  const at = (level: string) => (_fields: unknown, msg?: string): void => { lines.push(`${level}: ${msg ?? ''}`) }
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

test('the grain firewall adds its rule before the bridge exists, puts it back when removed, and removes it on close', async (t) => {
  // A bridge name no network has (15 characters at most, like bridgeNameFor's).
  const bridge = `gr-t${randomBytes(5).toString('hex')}`
  t.after(() => unblockGrainsFromHost(bridge))
  const log = recordingLog()
  const firewall = await keepGrainsBlocked({ bridge, checkMs: 100, log })
  t.after(() => firewall.close())
  assert.equal(await grainsBlockedFromHost(bridge), true, 'the rule is in place once started')
  assert.deepEqual(log.lines, ['info: grains blocked from the host: iptables rule added'])

  await unblockGrainsFromHost(bridge) // what a firewall reload does to it
  assert.equal(await grainsBlockedFromHost(bridge), false)
  await waitUntil('the rule to be put back', () => grainsBlockedFromHost(bridge), 5000)
  assert.ok(log.lines.includes('warn: the iptables rule was gone (a firewall reload?): added it again'), log.lines.join('\n'))

  await firewall.close()
  assert.equal(await grainsBlockedFromHost(bridge), false, 'close removes the rule')
  assert.equal(log.lines.at(-1), 'info: iptables rule removed')
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.equal(await grainsBlockedFromHost(bridge), false, 'and nothing adds it again')
})

test('a rule already in place (a restart after a crash) is kept and said so', async (t) => {
  const bridge = `gr-t${randomBytes(5).toString('hex')}`
  t.after(() => unblockGrainsFromHost(bridge))
  await blockGrainsFromHost(bridge)
  const log = recordingLog()
  const firewall = await keepGrainsBlocked({ bridge, checkMs: 60_000, log })
  assert.equal(await grainsBlockedFromHost(bridge), true)
  await firewall.close()
  assert.deepEqual(log.lines, ['info: grains blocked from the host: iptables rule already in place', 'info: iptables rule removed'])
})
