/**
 * Grain data directories: `<data dir>/grains/<grainId>` on the host,
 * bind-mounted into the grain at its manifest's `dataPath`, owned by uid 1000
 * (the user every grain runs as).
 *
 * Why a bind mount rather than a named volume: the directory is created with
 * the right owner directly (a fresh named volume is root-owned unless the
 * image already has that path, which would need a helper container to chown),
 * it sits in the data directory with Redis's files so one backup holds
 * everything, and deleting a grain is one `rm -r`. The cost: when the control
 * plane itself runs in a container, the data directory must be mounted at the
 * same path inside it as on the host.
 */
import { chownSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { isId } from '../core/ids.js'
import { dataPaths } from '../core/paths.js'
import { GRAIN_UID } from './container-spec.js'

/** The host directory of a grain's data; throws for anything that is not a grain id (no path tricks). */
export function grainDataDir (dataDir: string, grainId: string): string {
  if (!isId(grainId)) throw new Error(`not a grain id: ${JSON.stringify(grainId)}`)
  return join(dataPaths(dataDir).grains, grainId)
}

/** Creates the grain's data directory (if missing) owned by the grain user. Idempotent. */
export function ensureGrainDataDir (dataDir: string, grainId: string): string {
  const dir = grainDataDir(dataDir, grainId)
  mkdirSync(dataPaths(dataDir).grains, { recursive: true, mode: 0o711 })
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  try {
    chownSync(dir, GRAIN_UID, GRAIN_UID)
  } catch (err) {
    // Not root: fine only if we already are the grain user.
    if (process.getuid?.() !== GRAIN_UID) throw new Error(`cannot give ${dir} to uid ${GRAIN_UID} (the control plane needs root or uid ${GRAIN_UID})`, { cause: err })
  }
  return dir
}

/** Removes the grain's data for good. Succeeds silently if it does not exist. */
export function removeGrainDataDir (dataDir: string, grainId: string): void {
  rmSync(grainDataDir(dataDir, grainId), { recursive: true, force: true })
}
