/**
 * Property tests: random sequences of share / revoke / link / redeem / revoke-link
 * operations, checked after every step against the set-based reference model
 * (test/support/sharing-model.ts). In-process against the pure solver (many
 * sequences), and through the Redis-backed service (fewer: each step is a few
 * round trips), where the service's accept/refuse decisions must match too.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { modelEffective, modelList, type ModelEdge } from '../../test/support/sharing-model.js'
import { sharingWorld, NOTE_PERMISSIONS } from '../../test/support/sharing.js'
import { solve } from './graph.js'

const APP = [...NOTE_PERMISSIONS]
const USERS = ['o', 'a', 'b', 'c', 'd'] // 'o' owns the grain
// Common grants come up often, so sequences repeat shares (and revoke repeated ones).
const arbGrant: fc.Arbitrary<'all' | string[]> = fc.oneof(fc.constant('all' as const), fc.constantFrom<string[]>(['read'], ['write', 'read']), fc.subarray(APP, { minLength: 1 }))
const arbUser = fc.constantFrom(...USERS)

type Op =
  | { op: 'share', actor: string, to: string, permissions: 'all' | string[] }
  | { op: 'revoke', actor: string, pick: number }
  | { op: 'link', actor: string, permissions: 'all' | string[] }
  | { op: 'redeem', user: string, pick: number }
  | { op: 'revokeLink', actor: string, pick: number }

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('share' as const), actor: arbUser, to: arbUser, permissions: arbGrant }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('revoke' as const), actor: arbUser, pick: fc.nat(50) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('link' as const), actor: arbUser, permissions: arbGrant }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('redeem' as const), user: arbUser, pick: fc.nat(10) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('revokeLink' as const), actor: arbUser, pick: fc.nat(10) }) },
)

interface ModelEdgeX extends ModelEdge { kind: 'share' | 'link' | 'redeem', sharer: string }
interface ModelLink { id: string, creator: string, redeemed: Set<string> }

/** The reference world: edges and links, and what each operation should do. */
class Model {
  edges: ModelEdgeX[] = []
  links: ModelLink[] = []
  private held (u: string): string[] { return modelList(modelEffective('user:o', APP, this.edges), APP, `user:${u}`) }
  everyone (): Map<string, string[]> {
    const eff = modelEffective('user:o', APP, this.edges)
    const out = new Map<string, string[]>()
    for (const u of USERS) out.set(`user:${u}`, modelList(eff, APP, `user:${u}`))
    for (const l of this.links) out.set(`link:${l.id}`, modelList(eff, APP, `link:${l.id}`))
    return out
  }

  /** Would the service accept this op? `'ok'` or the error code it should give. */
  decide (op: Op): string {
    switch (op.op) {
      case 'share':
      case 'link': {
        if (op.op === 'share' && (op.actor === op.to || op.to === 'o')) return 'ERR_BAD_REQUEST'
        const held = this.held(op.actor)
        if (held.length === 0) return 'ERR_FORBIDDEN'
        if (op.permissions !== 'all' && op.permissions.some((p) => !held.includes(p))) return 'SHARE_ERR_NOT_HELD'
        return 'ok'
      }
      case 'revoke': {
        const e = this.pickEdge(op.pick)
        if (e === undefined) return 'none'
        return op.actor === 'o' || e.sharer === op.actor ? 'ok' : 'ERR_FORBIDDEN'
      }
      case 'redeem': return this.links.length === 0 ? 'none' : 'ok'
      case 'revokeLink': {
        const l = this.links[op.pick % Math.max(1, this.links.length)]
        if (l === undefined) return 'none'
        return op.actor === 'o' || op.actor === l.creator ? 'ok' : 'ERR_FORBIDDEN'
      }
    }
  }

  pickEdge (pick: number): ModelEdgeX | undefined {
    const revocable = this.edges.filter((e) => e.kind !== 'link')
    return revocable[pick % Math.max(1, revocable.length)]
  }

  /** Applies an accepted op, with the ids the implementation chose. */
  apply (op: Op, ids: { edgeId?: string, linkId?: string }): void {
    switch (op.op) {
      case 'share': {
        // Sharing the same set with the same user again changes nothing.
        const key = (p: 'all' | readonly string[]): string => p === 'all' ? 'all' : APP.filter((x) => p.includes(x)).join()
        if (this.edges.some((e) => e.kind === 'share' && e.from === `user:${op.actor}` && e.to === `user:${op.to}` && key(e.permissions) === key(op.permissions))) break
        this.edges.push({ id: ids.edgeId!, kind: 'share', sharer: op.actor, from: `user:${op.actor}`, to: `user:${op.to}`, permissions: op.permissions })
        break
      }
      case 'revoke': {
        const e = this.pickEdge(op.pick)!
        this.edges = this.edges.filter((x) => x !== e)
        if (e.kind === 'redeem') this.links.find((l) => `link:${l.id}` === e.from)?.redeemed.delete(e.to.slice(5))
        break
      }
      case 'link':
        this.links.push({ id: ids.linkId!, creator: op.actor, redeemed: new Set() })
        this.edges.push({ id: ids.edgeId!, kind: 'link', sharer: op.actor, from: `user:${op.actor}`, to: `link:${ids.linkId}`, permissions: op.permissions })
        break
      case 'redeem': {
        const l = this.links[op.pick % this.links.length]!
        if (op.user === 'o' || op.user === l.creator || l.redeemed.has(op.user)) break
        l.redeemed.add(op.user)
        this.edges.push({ id: ids.edgeId!, kind: 'redeem', sharer: l.creator, from: `link:${l.id}`, to: `user:${op.user}`, permissions: 'all' })
        break
      }
      case 'revokeLink': {
        const l = this.links[op.pick % this.links.length]!
        this.links = this.links.filter((x) => x !== l)
        this.edges = this.edges.filter((e) => e.from !== `link:${l.id}` && e.to !== `link:${l.id}`)
        break
      }
    }
  }
}

test('property: the solver agrees with the reference model after every step of 1,500 random sequences', () => {
  fc.assert(fc.property(fc.array(arbOp, { minLength: 1, maxLength: 30 }), (ops) => {
    const m = new Model()
    let n = 0
    for (const op of ops) {
      if (m.decide(op) === 'ok') m.apply(op, { edgeId: `e${n}`, linkId: `l${n++}` })
      const s = solve({ owner: 'user:o', appPermissions: APP, edges: m.edges })
      for (const [principal, expected] of m.everyone()) assert.deepEqual(s.permissionsOf(principal), expected, principal)
    }
  }), { numRuns: 1500 })
})

test('property: the Redis-backed service agrees with the model, decisions and permissions, after every step', async (t) => {
  const w = await sharingWorld(t)
  const reader = w.other()
  const ids = new Map<string, string>()
  let sequence = 0
  const svc = w.service
  await fc.assert(fc.asyncProperty(fc.array(arbOp, { minLength: 1, maxLength: 14 }), async (ops) => {
    // A fresh grain and fresh users for each sequence.
    sequence++
    for (const u of USERS) ids.set(u, await w.user(`${u}-${sequence}`))
    const id = (u: string): string => ids.get(u)!
    const grain = await w.grain(id('o'))
    // Checks go through a second process, so its cache is exercised too.
    const m = new Model()
    const secrets = new Map<string, string>()
    for (const op of ops) {
      const expected = m.decide(op)
      let got = 'ok'
      const applied: { edgeId?: string, linkId?: string } = {}
      try {
        switch (op.op) {
          case 'share':
            applied.edgeId = (await svc.share({ grainId: grain, actor: id(op.actor), to: id(op.to), permissions: op.permissions })).id
            break
          case 'revoke': {
            const e = m.pickEdge(op.pick)
            if (e === undefined) { got = 'none'; break }
            await svc.revoke({ grainId: grain, actor: id(op.actor), edgeId: e.id })
            break
          }
          case 'link': {
            const { link, secret } = await svc.createLink({ grainId: grain, actor: id(op.actor), permissions: op.permissions })
            applied.linkId = link.id
            applied.edgeId = link.edgeId
            secrets.set(link.id, secret)
            break
          }
          case 'redeem': {
            const l = m.links[op.pick % Math.max(1, m.links.length)]
            if (l === undefined) { got = 'none'; break }
            const r = await svc.redeemLink({ secret: secrets.get(l.id)!, userId: id(op.user) })
            if (r.edgeId !== undefined) applied.edgeId = r.edgeId
            if (l.redeemed.has(op.user)) assert.equal(r.edgeId, m.edges.find((e) => e.from === `link:${l.id}` && e.to === `user:${op.user}`)?.id)
            break
          }
          case 'revokeLink': {
            const l = m.links[op.pick % Math.max(1, m.links.length)]
            if (l === undefined) { got = 'none'; break }
            await svc.revokeLink({ grainId: grain, actor: id(op.actor), linkId: l.id })
            break
          }
        }
      } catch (err: any) {
        got = err.code
      }
      assert.equal(got, expected, `${JSON.stringify(op)}`)
      if (got === 'ok') m.apply(op, applied)
      for (const [principal, perms] of m.everyone()) {
        const real = principal.startsWith('user:') ? `user:${id(principal.slice(5))}` : principal
        assert.deepEqual(await reader.permissionsOf(grain, real), perms, `${principal} after ${JSON.stringify(op)}`)
      }
    }
  }), {
    numRuns: 100,
    examples: [
      // A repeated share, then revoking it: one edge, gone after one revoke.
      [[{ op: 'share', actor: 'o', to: 'a', permissions: ['read'] }, { op: 'share', actor: 'o', to: 'a', permissions: ['read'] }, { op: 'revoke', actor: 'o', pick: 0 }, { op: 'revoke', actor: 'o', pick: 0 }]],
      // A link redeemed twice by one user and passed on, then revoked.
      [[{ op: 'link', actor: 'o', permissions: ['read', 'write'] }, { op: 'redeem', user: 'a', pick: 0 }, { op: 'redeem', user: 'a', pick: 0 }, { op: 'share', actor: 'a', to: 'b', permissions: 'all' }, { op: 'revokeLink', actor: 'a', pick: 0 }, { op: 'revokeLink', actor: 'o', pick: 0 }]],
    ],
  })
})
