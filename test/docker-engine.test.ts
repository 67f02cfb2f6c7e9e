import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BASE_IMAGE, docker, removeTestResources, testLabels } from './support/docker.js'
import { testRunId } from './support/env.js'

test('a labelled container is created, started, inspected and removed through dockerode on the real engine', async (t) => {
  const runId = testRunId()
  t.after(() => removeTestResources(runId))
  const container = await docker.createContainer({
    Image: BASE_IMAGE,
    Cmd: ['node', '-e', 'console.log("hello from " + process.version); setTimeout(() => {}, 60000)'],
    Labels: testLabels(runId),
    HostConfig: { Init: true, NetworkMode: 'none' },
  })
  await container.start()
  const info = await container.inspect()
  assert.equal(info.State.Running, true)
  assert.equal(info.Config.Labels['granary.test'], runId)
  // The log shows the container really ran the machine's node.
  let logs = ''
  for (let i = 0; i < 50 && !logs.includes('hello from'); i++) {
    logs = (await container.logs({ stdout: true, stderr: true })).toString('utf8')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  assert.match(logs, /hello from v\d+/)
  await container.remove({ force: true })
  const left = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`granary.test=${runId}`] }) })
  assert.deepEqual(left, [])
})
