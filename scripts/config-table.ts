/** Prints README.md's configuration table from the settings' declarations (`npm run config:table`). */
import { configTableRows, type Settings } from '../core/config.js'
import { commonSettings, controlPlaneSettings, grainFirewallSettings, proxySettings } from '../core/settings.js'

export function configTable (): string {
  const only = (all: Settings, except: Settings): Settings =>
    Object.fromEntries(Object.entries(all).filter(([k]) => !(k in except)))
  const alsoRead = (all: Settings, from: Settings): string =>
    Object.entries(all).filter(([k]) => k in from).map(([, s]) => `\`${s.env}\``).join(', ')
  const section = (title: string, rows: string[]): string[] => [`| **${title}** | | |`, ...rows]
  return [
    '| variable | default | meaning |',
    '| --- | --- | --- |',
    ...section('all services', configTableRows(commonSettings)),
    ...section('proxy', configTableRows(only(proxySettings, commonSettings))),
    ...section('control plane', configTableRows(only(controlPlaneSettings, commonSettings))),
    ...section(`grain firewall (docker compose; also reads ${alsoRead(grainFirewallSettings, controlPlaneSettings)})`, configTableRows(only(grainFirewallSettings, controlPlaneSettings))),
  ].join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(configTable() + '\n')
