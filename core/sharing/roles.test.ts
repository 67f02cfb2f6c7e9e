import assert from 'node:assert/strict'
import { test } from 'node:test'
import { appPermissionIds, rolePermissions } from './index.js'

const manifest = {
  permissions: [{ id: 'read', title: 'Read' }, { id: 'comment', title: 'Comment' }, { id: 'write', title: 'Write' }],
  roles: [{ id: 'editor', title: 'Editor', permissions: ['write', 'read'] }, { id: 'viewer', title: 'Viewer', permissions: ['read'] }],
}

test('a role names its permissions, in manifest order', () => {
  assert.deepEqual(appPermissionIds(manifest), ['read', 'comment', 'write'])
  assert.deepEqual(rolePermissions(manifest, 'editor'), ['read', 'write'])
})

test('an unknown or malformed role is refused, naming the roles there are', () => {
  for (const bad of ['owner', '', 42, { id: 'editor' }, '__proto__']) {
    assert.throws(() => rolePermissions(manifest, bad), (err: any) => {
      assert.equal(err.code, 'ERR_BAD_REQUEST')
      assert.match(err.message, /roles are editor, viewer/)
      return true
    })
  }
})
