/* global Blob, TextEncoder, btoa */
// The public API as the UI sees it. Every call goes through `call()`: JSON in
// and out, the session cookie sent (same origin), errors thrown as ApiError
// carrying the server's `{error:{code,message}}`. The `norm*` functions turn
// the server's answers into the few shapes the screens use, so a change in
// the API's shape is absorbed here, in one place.

const NETWORK_RETRIES = 2
const NETWORK_RETRY_DELAY_MS = 300

export class ApiError extends Error {
  constructor (status, code, message) {
    super(message)
    this.status = status
    this.code = code
  }
}

/** Calls the API. Throws ApiError for any non-2xx answer; resolves to the parsed body (or null for 204). */
export async function call (method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } }
  if (body instanceof Blob) {
    // A raw upload (an image tarball); extra headers ride along on the blob.
    Object.assign(init.headers, body.headers ?? {})
    init.headers['Content-Type'] = 'application/x-tar'
    init.body = body
  } else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json'
    init.body = JSON.stringify(body)
  }
  let res
  // Reads are retried after a network failure (Chromium aborts requests in flight when a
  // network interface comes or goes, e.g. on a Docker host) or a server error; writes are
  // not, as one may have landed.
  const attempts = method === 'GET' ? NETWORK_RETRIES + 1 : 1
  for (let attempt = 1; res === undefined; attempt++) {
    try {
      res = await fetch(path, init)
      if (res.status >= 500 && attempt < attempts) res = undefined
    } catch {
      if (attempt >= attempts) throw new ApiError(0, 'NETWORK', 'The server cannot be reached. Check your connection and try again.')
    }
    if (res === undefined) await new Promise((resolve) => setTimeout(resolve, NETWORK_RETRY_DELAY_MS))
  }
  const text = await res.text()
  let data = null
  if (text !== '') {
    try { data = JSON.parse(text) } catch { data = null }
  }
  if (!res.ok) {
    const err = data?.error
    throw new ApiError(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? defaultMessage(res.status))
  }
  return data
}

function defaultMessage (status) {
  if (status === 401) return 'Please log in.'
  if (status === 403) return 'You are not allowed to do that.'
  if (status === 404) return 'Not found.'
  if (status === 429) return 'Too many attempts. Wait a moment and try again.'
  if (status >= 500) return 'The server had a problem. Try again in a moment.'
  return `Request failed (${status}).`
}

const list = (data, ...names) => {
  if (Array.isArray(data)) return data
  for (const name of names) if (Array.isArray(data?.[name])) return data[name]
  return []
}
const perms = (p) => Array.isArray(p) ? p : typeof p === 'string' && p !== '' ? p.split(',') : []
const nameOf = (p) => typeof p === 'string' ? p : p?.displayName ?? p?.username ?? p?.name ?? p?.title ?? p?.id ?? ''

export function normUser (u) {
  const user = u?.user ?? u
  if (!user?.id) return null
  return { id: user.id, username: user.username ?? '', displayName: user.displayName ?? user.username ?? '', role: user.role ?? 'user' }
}

export function normApp (a) {
  const m = a?.manifest ?? a ?? {}
  return {
    id: m.id ?? a?.id,
    name: m.name ?? a?.name ?? m.id,
    version: m.version ?? a?.version ?? '',
    icon: m.icon ?? a?.icon,
    actions: m.actions ?? [],
    roles: m.roles ?? [],
    permissions: m.permissions ?? [],
    versions: a?.versions ?? [],
    allowAnonymous: Boolean(m.allowAnonymous),
  }
}

export function normGrain (g, me) {
  const ownerId = typeof g.owner === 'string' ? g.owner : g.owner?.id ?? g.ownerId
  const mine = g.mine ?? g.owned ?? (me && ownerId === me.id)
  return {
    id: g.id ?? g.grainId,
    appId: g.appId ?? g.app?.id,
    appVersion: g.appVersion,
    title: g.title || 'Untitled',
    ownerId,
    ownerName: g.ownerName ?? (typeof g.owner === 'object' ? nameOf(g.owner) : undefined),
    mine: Boolean(mine),
    sharedBy: g.sharedBy ? [].concat(g.sharedBy).map(nameOf).join(', ') : undefined,
    lastUsedAt: g.lastUsedAt ?? g.lastUsed ?? 0,
    permissions: perms(g.permissions),
  }
}

/**
 * Who has access: principals with effective permissions, edges (shares, links,
 * link redemptions) and links. Principals are `user:<id>` / `link:<id>` strings
 * in the sharing service's graph; the API may send names beside them (`names`
 * map, or objects with displayName/username), which are used when present.
 */
export function normAccess (a, me) {
  const names = new Map(Object.entries(a?.names ?? {}))
  for (const u of list(a, 'users', 'people')) if (u?.id) names.set(`user:${u.id}`, nameOf(u))
  const ownerKey = typeof a?.owner === 'string' ? (a.owner.includes(':') ? a.owner : `user:${a.owner}`) : a?.owner?.id ? `user:${a.owner.id}` : undefined
  const principal = (p) => {
    if (p && typeof p === 'object') {
      const key = p.principal ?? (p.kind === 'link' ? `link:${p.id}` : `user:${p.id ?? p.userId}`)
      const info = principal(key)
      return { ...info, name: p.displayName ?? p.username ?? p.name ?? info.name, username: p.username ?? info.username }
    }
    const key = String(p ?? '')
    const [kind, id] = key.includes(':') ? [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)] : ['user', key]
    const known = names.get(key)
    const name = known ?? (kind === 'user' && me && id === me.id ? me.displayName : kind === 'link' ? 'sharing link' : kind === 'token' ? 'API token' : id)
    return { key: `${kind}:${id}`, id, kind, name }
  }
  const edges = list(a?.edges ? a : { edges: a?.shares }, 'edges').map((e) => {
    const declared = e.declared ?? e.permissions
    const from = principal(e.from ?? e.fromUser)
    const to = principal(e.to ?? e.toUser)
    if (e.fromName) from.name = e.fromName
    if (e.toName) to.name = e.toName
    return {
      id: e.id ?? e.shareId,
      kind: e.kind ?? 'share',
      from,
      to,
      permissions: declared === 'all' || declared === '*' ? [] : perms(declared),
      everything: declared === 'all' || declared === '*' || Boolean(e.everything),
      role: e.role,
      effective: e.grants !== undefined ? perms(e.grants) : e.effective !== undefined ? perms(e.effective) : undefined,
      canRevoke: Boolean(e.canRevoke ?? e.revocable),
    }
  })
  const edgeById = new Map(edges.map((e) => [e.id, e]))
  const principals = list(a, 'principals').map((p) => {
    const info = principal(p.principal ?? p)
    // Each path is edge ids from the owner; its last edge's sender is who this principal holds "via".
    const via = Array.isArray(p.paths)
      ? [...new Set(p.paths.map((path) => edgeById.get(path[path.length - 1])?.from.name).filter(Boolean))]
      : p.via ? [].concat(p.via).map(nameOf) : undefined
    return {
      ...info,
      owner: Boolean(p.owner ?? p.isOwner ?? (ownerKey !== undefined && info.key === ownerKey)),
      permissions: perms(p.permissions ?? p.effective),
      via,
    }
  }).filter((p) => p.kind === 'user')
  const links = list(a, 'links').map((l) => ({
    id: l.id ?? l.linkId,
    role: l.role,
    permissions: l.permissions === 'all' ? [] : perms(l.permissions),
    url: l.url,
    createdBy: l.createdByName ?? principal(typeof l.createdBy === 'string' && !l.createdBy.includes(':') ? `user:${l.createdBy}` : l.createdBy).name,
    expired: Boolean(l.expired),
    allowAnonymous: Boolean(l.allowAnonymous),
    canRevoke: Boolean(l.canRevoke ?? l.revocable ?? true),
  }))
  return { principals, edges, links }
}

export const api = {
  me: async () => { try { return normUser(await call('GET', '/api/me')) } catch (e) { if (e.status === 401) return null; throw e } },
  login: (username, password) => call('POST', '/api/session', { username, password }),
  logout: () => call('DELETE', '/api/session'),
  providers: async () => {
    try { return list(await call('GET', '/api/session/providers'), 'providers').map((p) => ({ id: p.id, name: p.name ?? p.title ?? p.id, url: p.url ?? `/api/session/oidc/${encodeURIComponent(p.id)}` })) } catch { return [] }
  },
  apps: async () => list(await call('GET', '/api/apps'), 'apps').map(normApp),
  grains: async (me) => list(await call('GET', '/api/grains'), 'grains').map((g) => normGrain(g, me)),
  grain: async (id, me) => normGrain(await call('GET', `/api/grains/${encodeURIComponent(id)}`), me),
  // The action is the manifest's "new" verb; the API creates every grain the same way, so only appId and title go.
  createGrain: async (appId, title, me) => { const a = await call('POST', '/api/grains', { appId, title }); return normGrain(a?.grain ?? a, me) },
  deleteGrain: (id) => call('DELETE', `/api/grains/${encodeURIComponent(id)}`),
  openSession: (id) => call('POST', `/api/grains/${encodeURIComponent(id)}/session`, {}),
  access: async (id, me) => normAccess(await call('GET', `/api/grains/${encodeURIComponent(id)}/access`), me),
  share: (id, to, role) => call('POST', `/api/grains/${encodeURIComponent(id)}/shares`, role === 'all' ? { to, permissions: 'all' } : { to, role }),
  revokeShare: (id, shareId) => call('DELETE', `/api/grains/${encodeURIComponent(id)}/shares/${encodeURIComponent(shareId)}`),
  createLink: (id, role, allowAnonymous = false) => call('POST', `/api/grains/${encodeURIComponent(id)}/links`, { role, allowAnonymous }),
  revokeLink: (id, linkId) => call('DELETE', `/api/grains/${encodeURIComponent(id)}/links/${encodeURIComponent(linkId)}`),
  /** Opens a sharing link: logged in, redeems it; anonymous, only where the link and app allow. Answers {grainId, url}. */
  openLink: (secret) => call('POST', '/api/links/open', { secret }),
  /** Imports a grain archive (an Export of any Granary) as a new grain of mine. Answers the grain. */
  importGrain: async (file, me) => normGrain((await call('POST', '/api/grains/import', file.slice(0, file.size, 'application/x-tar'))).grain, me),
  admin: {
    users: async () => list(await call('GET', '/api/admin/users'), 'users').map((u) => ({ ...normUser(u), disabled: Boolean(u.disabled), createdAt: u.createdAt })),
    createUser: (body) => call('POST', '/api/admin/users', body),
    setDisabled: (id, disabled) => call('POST', `/api/admin/users/${encodeURIComponent(id)}/${disabled ? 'disable' : 'enable'}`, {}),
    resetPassword: (id, password) => call('POST', `/api/admin/users/${encodeURIComponent(id)}/password`, { password }),
    /**
     * Publishes an app or a new version: the image tarball (`docker save`) as the body, the
     * manifest's text (YAML or JSON) base64-encoded in `x-granary-manifest`, as the control
     * plane's `POST /apps` takes it (core/control-plane-protocol.ts) and the proxy forwards it.
     */
    uploadApp: (manifestText, imageFile) => {
      const bytes = new TextEncoder().encode(manifestText)
      let binary = ''
      for (const b of bytes) binary += String.fromCharCode(b)
      const body = imageFile.slice(0, imageFile.size, 'application/x-tar')
      body.headers = { 'x-granary-manifest': btoa(binary) }
      return call('POST', '/api/apps', body)
    },
    removeApp: (id, force = false) => call('DELETE', `/api/apps/${encodeURIComponent(id)}${force ? '?force=true' : ''}`),
    /** Every grain: {id, title, appId, appVersion, owner, ownerUsername, ownerName, state, reason?, createdAt, lastUsedAt}, live ones first. */
    grains: async () => (await call('GET', '/api/admin/grains')).grains,
    stopGrain: (id) => call('POST', `/api/admin/grains/${encodeURIComponent(id)}/stop`, {}),
    /** One page of the audit log, newest first: {events, next?}; pass `next` to get the page after. */
    audit: (before) => call('GET', `/api/admin/audit${before ? `?before=${encodeURIComponent(before)}` : ''}`),
  },
}
