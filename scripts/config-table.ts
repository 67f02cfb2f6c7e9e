/** Prints README.md's configuration table from the settings' declarations (`npm run config:table`). */
import { configTableRows, type Settings } from '../core/config.js'
import { commonSettings, controlPlaneSettings, proxySettings } from '../core/settings.js'

export function configTable (): string {
  const only = (all: Settings, except: Settings): Settings =>
    Object.fromEntries(Object.entries(all).filter(([k]) => !(k in except)))
  const section = (title: string, rows: string[]): string[] => [`| **${title}** | | |`, ...rows]
  return [
    '| variable | default | meaning |',
    '| --- | --- | --- |',
    ...section('all services', configTableRows(commonSettings)),
    ...section('proxy', configTableRows(only(proxySettings, commonSettings))),
    ...section('control plane', configTableRows(only(controlPlaneSettings, commonSettings))),
  ].join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(configTable() + '\n')
