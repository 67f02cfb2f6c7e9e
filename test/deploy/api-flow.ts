/**
 * What a user does through the deployed proxy's public API over HTTPS, and
 * what must still hold afterwards: used by the compose test before and after
 * a restart, and after a backup is restored on a wiped installation.
 */
import { strict as assert } from 'node:assert'
import { HttpsClient } from './https-client.js'

export const ADMIN_PASSWORD = 'correct horse battery'
const BOB_PASSWORD = 'bob has a long password'
const NOTE = 'milk, eggs, flour'

export interface ApiState {
  grainId: string
  /** The admin's browser: its session cookie must outlive restarts and restores. */
  admin: HttpsClient
}

/** Logs in as admin, creates Bob, creates a notes grain, shares it read-only with Bob, writes the note. */
export async function writeThroughApi (port: number): Promise<ApiState> {
  const shell = `https://localhost:${port}`
  const admin = new HttpsClient(port)
  const post = async (path: string, body: unknown, expected: number) => {
    const res = await admin.send('POST', path, body, { origin: shell })
    assert.equal(res.status, expected, `POST ${path}: ${res.body}`)
    return res
  }
  await post('/api/session', { username: 'admin', password: ADMIN_PASSWORD }, 200)
  await post('/api/admin/users', { username: 'bob', displayName: 'Bob', password: BOB_PASSWORD }, 201)
  const grainId = (await post('/api/grains', { appId: 'notes', title: 'Shopping' }, 201)).json<{ grain: { id: string } }>().grain.id
  await post(`/api/grains/${grainId}/shares`, { to: 'bob', role: 'viewer' }, 201)
  const { url } = (await post(`/api/grains/${grainId}/session`, {}, 200)).json<{ url: string }>()
  const grainOrigin = await admin.openGrain(url)
  const put = await admin.send('PUT', `${grainOrigin}/api/note`, { text: NOTE }, { origin: grainOrigin })
  assert.equal(put.status, 200, `PUT note: ${put.body}`)
  return { grainId, admin }
}

/** The admin is still logged in; Bob logs in, sees the grain shared read-only, opens it and reads the note. */
export async function checkThroughApi (port: number, state: ApiState, when: string): Promise<void> {
  const shell = `https://localhost:${port}`
  const me = await state.admin.send('GET', '/api/me')
  assert.equal(me.status, 200, `the admin's session ${when}: ${me.body}`)
  const bob = new HttpsClient(port)
  const login = await bob.send('POST', '/api/session', { username: 'bob', password: BOB_PASSWORD }, { origin: shell })
  assert.equal(login.status, 200, `Bob logs in ${when}: ${login.body}`)
  const list = (await bob.send('GET', '/api/grains')).json<{ grains: Array<{ id: string, permissions: string[] }> }>()
  assert.deepEqual(list.grains.map((g) => [g.id, g.permissions]), [[state.grainId, ['read']]], `Bob's share ${when}`)
  const { url } = (await bob.send('POST', `/api/grains/${state.grainId}/session`, {}, { origin: shell })).json<{ url: string }>()
  const grainOrigin = await bob.openGrain(url)
  const note = await bob.send('GET', `${grainOrigin}/api/note`)
  assert.equal(note.status, 200, `Bob opens the grain ${when}: ${note.body}`)
  assert.deepEqual({ text: note.json<{ text: string }>().text, canWrite: note.json<{ canWrite: boolean }>().canWrite }, { text: NOTE, canWrite: false }, `the note ${when}`)
}
