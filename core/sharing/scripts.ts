/**
 * The Lua scripts behind every sharing write and every permission check.
 * Each write runs as one script: it checks its preconditions, changes the
 * keys, INCRs the grain's sharing version and appends to the grain's audit
 * stream and to the installation's (`core/audit.ts`, with the grain's id
 * added), all or nothing. Key names come in through KEYS (built by
 * `core/keys.ts`), never spelled here.
 *
 * Write scripts share one calling convention:
 *   KEYS[1] version  KEYS[2] shares  KEYS[3] audit  KEYS[4] inbound  KEYS[5] grain record
 *   KEYS[6] the installation's audit stream, then their own keys, and last the grain's change log (so KEYS[#KEYS]);
 *   ARGV[1] expected version (`''` = any)  ARGV[2] key prefix of `grains:shared-with:<userId>`
 *   ARGV[3] grainId  ARGV[4] now (ms)  ARGV[5] audit stream cap  ARGV[6] the grain-changes channel,
 *   then their own arguments, then the audit entry's field/value pairs.
 * A write that changes anything publishes `g:<grainId>` on the grain-changes
 * channel in the same script (see ./change-feed.ts), so no change goes
 * unannounced even if the writer dies right after.
 * They answer `-1` if the version moved (the caller re-reads and retries),
 * `-3` if the grain record is gone, `0` if what they act on does not exist,
 * else the new version.
 *
 * The change log is a stream with ids `<version>-<n>`: every edge, link and
 * token record a write sets or deletes, so a process holding the graph at
 * version v can catch up by reading the entries after v instead of the whole
 * graph (see LOAD). It is capped; a process too far behind loads in full.
 */

import { AUDIT_MAX_LENGTH } from '../audit.js'

/** Change-log entries kept per grain (approximately). */
export const CHANGE_LOG_MAX_LENGTH = 2_000

export const CONFLICT = -1
export const GRAIN_GONE = -3

const PRELUDE = `
local changes = {}
local function change(kind, id, value)
  changes[#changes + 1] = {kind, id, value}
end
local function precheck()
  if redis.call('EXISTS', KEYS[5]) == 0 then return -3 end
  if ARGV[1] ~= '' and (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return -1 end
  return 0
end
local function bump(auditFrom)
  local v = redis.call('INCR', KEYS[1])
  local fields = {}
  for i = auditFrom, #ARGV do fields[#fields + 1] = ARGV[i] end
  fields[#fields + 1] = 'version'
  fields[#fields + 1] = tostring(v)
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*', unpack(fields))
  fields[#fields + 1] = 'grain'
  fields[#fields + 1] = ARGV[3]
  redis.call('XADD', KEYS[6], 'MAXLEN', '~', '${AUDIT_MAX_LENGTH}', '*', unpack(fields))
  for i, c in ipairs(changes) do
    redis.call('XADD', KEYS[#KEYS], 'MAXLEN', '~', '${CHANGE_LOG_MAX_LENGTH}', v .. '-' .. i, 'k', c[1], 'i', c[2], 'v', c[3])
  end
  redis.call('PUBLISH', ARGV[6], 'g:' .. ARGV[3])
  return v
end
local function recipientUser(value)
  return string.match(value, '^[^\\t]*\\t[^\\t]*\\tuser:([^\\t]*)\\t')
end
local function inbound(userId, delta)
  local n = redis.call('HINCRBY', KEYS[4], userId, delta)
  local key = ARGV[2] .. userId
  if n <= 0 then
    redis.call('HDEL', KEYS[4], userId)
    redis.call('ZREM', key, ARGV[3])
  elseif delta > 0 and n == 1 then
    redis.call('ZADD', key, ARGV[4], ARGV[3])
  end
end
local function addEdge(id, value)
  redis.call('HSET', KEYS[2], id, value)
  change('e', id, value)
  local u = recipientUser(value)
  if u then inbound(u, 1) end
end
local function removeEdge(id)
  local value = redis.call('HGET', KEYS[2], id)
  if not value then return false end
  redis.call('HDEL', KEYS[2], id)
  change('e', id, '')
  local u = recipientUser(value)
  if u then inbound(u, -1) end
  return true
end
`

/** Adds one edge. Own ARGV: 7 edgeId, 8 edge value; audit from 9. */
export const ADD_EDGE = `${PRELUDE}
local pre = precheck()
if pre ~= 0 then return pre end
addEdge(ARGV[7], ARGV[8])
return bump(9)`

/**
 * Removes one edge. Own KEYS: 7 the redeemers hash of the link it comes from
 * (any key if none). Own ARGV: 7 edgeId, 8 redeemer userId (`''` if none); audit from 9.
 */
export const REMOVE_EDGE = `${PRELUDE}
local pre = precheck()
if pre ~= 0 then return pre end
if not removeEdge(ARGV[7]) then return 0 end
if ARGV[8] ~= '' then redis.call('HDEL', KEYS[7], ARGV[8]) end
return bump(9)`

/**
 * Creates a link or an API token: its record, its creator → bearer edge and
 * its secret's lookup key. Own KEYS: 7 records hash (links or tokens), 8 secret key.
 * Own ARGV: 7 id, 8 record JSON, 9 edgeId, 10 edge value, 11 secret key value,
 * 12 expiry (ms since epoch, `''` = never), 13 change-log kind (`l` link, `t` token); audit from 14.
 */
export const CREATE_BEARER = `${PRELUDE}
local pre = precheck()
if pre ~= 0 then return pre end
redis.call('HSET', KEYS[7], ARGV[7], ARGV[8])
change(ARGV[13], ARGV[7], ARGV[8])
addEdge(ARGV[9], ARGV[10])
if ARGV[12] ~= '' then
  redis.call('SET', KEYS[8], ARGV[11], 'PXAT', ARGV[12])
else
  redis.call('SET', KEYS[8], ARGV[11])
end
return bump(14)`

/**
 * Revokes a link or an API token: its record, its secret, its creator edge and
 * (links) every redeemer's edge. Own KEYS: 7 records hash, 8 redeemers hash
 * (any absent key for tokens), 9 secret key. Own ARGV: 7 id, 8 creator edgeId,
 * 9 change-log kind (`l` link, `t` token); audit from 10.
 */
export const REVOKE_BEARER = `${PRELUDE}
local pre = precheck()
if pre ~= 0 then return pre end
if redis.call('HDEL', KEYS[7], ARGV[7]) == 0 then return 0 end
change(ARGV[9], ARGV[7], '')
removeEdge(ARGV[8])
for _, edgeId in ipairs(redis.call('HVALS', KEYS[8])) do removeEdge(edgeId) end
redis.call('DEL', KEYS[8], KEYS[9])
return bump(10)`

/**
 * Redeems a link for a user: one link → user edge, once per user. Own KEYS:
 * 7 links hash, 8 the link's redeemers hash. Own ARGV: 7 linkId, 8 userId,
 * 9 edgeId, 10 edge value; audit from 11.
 * Answers {version, edgeId}: the existing edge (version unchanged) if the user
 * already redeemed it; {0, ''} if the link is gone; {-3, ''} if the grain is.
 */
export const REDEEM_LINK = `${PRELUDE}
local pre = precheck()
if pre ~= 0 then return {pre, ''} end
if redis.call('HEXISTS', KEYS[7], ARGV[7]) == 0 then return {0, ''} end
local existing = redis.call('HGET', KEYS[8], ARGV[8])
if existing then return {tonumber(redis.call('GET', KEYS[1]) or '0'), existing} end
redis.call('HSET', KEYS[8], ARGV[8], ARGV[9])
addEdge(ARGV[9], ARGV[10])
return {bump(11), ARGV[9]}`

/**
 * The permission check's one round trip. KEYS: 1 version, 2 grain record,
 * 3 shares, 4 links, 5 tokens, 6 change log. ARGV: 1 the version the caller
 * has cached (`''` if none). Answers {version, owner, appId, appVersion},
 * read atomically, followed by:
 * - nothing, when the cached version is current (or the grain is gone);
 * - `'delta'` and the change-log entries after the cached version, when the
 *   log still holds all of them (entries of versions above its first one are whole);
 * - `'full'` and the shares, links and tokens hashes (flat field/value arrays).
 */
export const LOAD = `
local v = redis.call('GET', KEYS[1]) or '0'
local g = redis.call('HMGET', KEYS[2], 'owner', 'appId', 'appVersion')
local head = {v, g[1] or '', g[2] or '', g[3] or ''}
if v == ARGV[1] or head[2] == '' then return head end
local cached = tonumber(ARGV[1])
if cached ~= nil and cached < tonumber(v) then
  local first = redis.call('XRANGE', KEYS[6], '-', '+', 'COUNT', 1)[1]
  if first ~= nil and cached >= tonumber(string.match(first[1], '^(%d+)-')) then
    head[5] = 'delta'
    head[6] = redis.call('XRANGE', KEYS[6], (cached + 1) .. '-0', '+')
    return head
  end
end
head[5] = 'full'
head[6] = redis.call('HGETALL', KEYS[3])
head[7] = redis.call('HGETALL', KEYS[4])
head[8] = redis.call('HGETALL', KEYS[5])
return head`
