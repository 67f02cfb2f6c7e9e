/**
 * The Docker container a grain runs in, as a pure function of the grain, its
 * app's manifest and the platform's caps. Every grain container is hardened the
 * same way, whatever its manifest says:
 *
 * - runs as uid/gid 1000, all capabilities dropped, `no-new-privileges`, not privileged;
 * - read-only root filesystem; writable only: its data directory (bind mount) and a small `/tmp` tmpfs;
 * - memory (no swap), CPU and process-count limits from the manifest, capped by `MAX_GRAIN_*`;
 * - on the internal grain network only (no route out, no traffic to other grains), no published ports;
 * - an init process (`Init: true`) reaps zombies and forwards signals;
 * - no Docker socket or any other host path but its data directory; bounded logs.
 *
 * The container learns `PORT` (the manifest's port) and `DATA_DIR` (the manifest's data path).
 */
import type { ContainerCreateOptions } from 'dockerode'
import type { Manifest } from '../core/manifest/schema.js'
import { LABELS } from './docker.js'

export const GRAIN_UID = 1000
export const DEFAULT_GRAIN_MEMORY_MB = 256
export const DEFAULT_GRAIN_CPUS = 0.5
export const DEFAULT_GRAIN_PIDS = 128
const TMP_TMPFS = 'rw,noexec,nosuid,nodev,size=64m'
const LOG_OPTIONS = { 'max-size': '1m', 'max-file': '2' }

export interface GrainCaps { maxMemoryMb: number, maxCpus: number, maxPids: number }

export interface ContainerSpecInput {
  grainId: string
  manifest: Manifest
  imageId: string
  /** Host directory bind-mounted at `manifest.dataPath`. */
  hostDataDir: string
  network: string
  caps: GrainCaps
  /** Extra labels (tests label their resources); the Granary labels win on conflict. */
  extraLabels?: Record<string, string>
}

/** The label carrying the image a container was made from (compared on start to detect upgrades). */
export const IMAGE_LABEL = 'granary.image'

export const containerName = (grainId: string): string => `granary-grain-${grainId}`

export function grainLimits (manifest: Manifest, caps: GrainCaps): { memoryMb: number, cpus: number, pids: number } {
  return {
    memoryMb: Math.min(manifest.limits?.memoryMb ?? DEFAULT_GRAIN_MEMORY_MB, caps.maxMemoryMb),
    cpus: Math.min(manifest.limits?.cpus ?? DEFAULT_GRAIN_CPUS, caps.maxCpus),
    pids: Math.min(manifest.limits?.pids ?? DEFAULT_GRAIN_PIDS, caps.maxPids),
  }
}

export function grainLabels (grainId: string, manifest: Manifest, imageId: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...extra,
    [LABELS.managed]: 'true',
    [LABELS.grain]: grainId,
    [LABELS.app]: manifest.id,
    [LABELS.appVersion]: manifest.version,
    [IMAGE_LABEL]: imageId,
  }
}

export function containerSpec (input: ContainerSpecInput): ContainerCreateOptions {
  const { grainId, manifest, caps } = input
  const limits = grainLimits(manifest, caps)
  const memoryBytes = limits.memoryMb * 1024 * 1024
  return {
    name: containerName(grainId),
    Image: input.imageId,
    Hostname: 'grain',
    User: `${GRAIN_UID}:${GRAIN_UID}`,
    Env: [`PORT=${manifest.port}`, `DATA_DIR=${manifest.dataPath}`],
    Labels: grainLabels(grainId, manifest, input.imageId, input.extraLabels),
    NetworkDisabled: false,
    HostConfig: {
      NetworkMode: input.network,
      Mounts: [{ Type: 'bind', Source: input.hostDataDir, Target: manifest.dataPath, ReadOnly: false }],
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': TMP_TMPFS },
      Memory: memoryBytes,
      MemorySwap: memoryBytes,
      NanoCpus: Math.round(limits.cpus * 1e9),
      PidsLimit: limits.pids,
      Init: true,
      PublishAllPorts: false,
      PortBindings: {},
      RestartPolicy: { Name: 'no' },
      LogConfig: { Type: 'json-file', Config: LOG_OPTIONS },
    },
  }
}
