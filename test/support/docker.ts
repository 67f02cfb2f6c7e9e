/** Docker helpers for tests: label what you create, remove exactly that afterwards. */
import Docker from 'dockerode'
import { LABELS } from '../../control-plane/docker.js'

export const docker = new Docker()

export const testLabels = (runId: string): Record<string, string> => ({ [LABELS.managed]: 'true', [LABELS.test]: runId })

/** Removes every container, network and volume labelled with this test run id. */
export async function removeTestResources (runId: string): Promise<void> {
  const filters = JSON.stringify({ label: [`${LABELS.test}=${runId}`] })
  const containers = await docker.listContainers({ all: true, filters })
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })))
  const networks = await docker.listNetworks({ filters })
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove()))
  const { Volumes: volumes } = await docker.listVolumes({ filters })
  await Promise.all((volumes ?? []).map((v) => docker.getVolume(v.Name).remove()))
}

export const BASE_IMAGE = 'granary/node-base:local'
