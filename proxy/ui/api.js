/* global FormData */
// The public API as the UI sees it. Every call goes through `call()`: JSON in
// and out, the session cookie sent (same origin), errors thrown as ApiError
// carrying the server's `{error:{code,message}}`. The `norm*` functions turn
// the server's answers into the few shapes the screens use, so a change in
// the API's shape is absorbed here, in one place.

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
  if (body instanceof FormData) init.body = body
  else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json'
    init.body = JSON.stringify(body)
  }
  let res
  try {
    res = await fetch(path, init)
  } catch {
    throw new ApiError(0, 'NETWORK', 'The server cannot be reached. Check your connection and try again.')
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

/** Who has access: principals with effective permissions, edges (shares and link redemptions) and links. */
export function normAccess (a) {
  const principals = list(a, 'principals', 'people', 'users').map((p) => ({
    id: p.id ?? p.userId,
    name: nameOf(p),
    username: p.username,
    kind: p.kind ?? p.type ?? 'user',
    owner: Boolean(p.owner ?? p.isOwner),
    permissions: perms(p.permissions ?? p.effective),
    via: p.via ? [].concat(p.via).map(nameOf) : undefined,
  }))
  const edges = list(a?.edges ? a : a?.shares ? { edges: a.shares } : a, 'edges').map((e) => ({
    id: e.id ?? e.shareId,
    from: { id: e.from?.id ?? e.from, name: nameOf(e.from ?? e.fromName) || e.fromName },
    to: { id: e.to?.id ?? e.to, name: e.toName ?? nameOf(e.to) },
    permissions: perms(e.permissions),
    everything: Boolean(e.everything ?? e.all ?? e.permissions === '*'),
    role: e.role,
    effective: e.effective === undefined ? undefined : perms(e.effective),
    canRevoke: Boolean(e.canRevoke ?? e.revocable),
  }))
  const links = list(a, 'links').map((l) => ({
    id: l.id ?? l.linkId,
    role: l.role,
    permissions: perms(l.permissions),
    url: l.url,
    createdBy: nameOf(l.createdBy ?? l.from),
    canRevoke: Boolean(l.canRevoke ?? l.revocable ?? true),
  }))
  return { principals, edges, links, canShare: a?.canShare !== false }
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
  createGrain: async (appId, title, action, me) => normGrain((await call('POST', '/api/grains', { appId, title, ...(action ? { action } : {}) })), me),
  deleteGrain: (id) => call('DELETE', `/api/grains/${encodeURIComponent(id)}`),
  openSession: (id) => call('POST', `/api/grains/${encodeURIComponent(id)}/session`, {}),
  access: async (id) => normAccess(await call('GET', `/api/grains/${encodeURIComponent(id)}/access`)),
  share: (id, to, role) => call('POST', `/api/grains/${encodeURIComponent(id)}/shares`, { to, role }),
  revokeShare: (id, shareId) => call('DELETE', `/api/grains/${encodeURIComponent(id)}/shares/${encodeURIComponent(shareId)}`),
  createLink: (id, role) => call('POST', `/api/grains/${encodeURIComponent(id)}/links`, { role }),
  revokeLink: (id, linkId) => call('DELETE', `/api/grains/${encodeURIComponent(id)}/links/${encodeURIComponent(linkId)}`),
  redeemLink: (token) => call('POST', `/api/links/${encodeURIComponent(token)}/redeem`, {}),
  admin: {
    users: async () => list(await call('GET', '/api/admin/users'), 'users').map((u) => ({ ...normUser(u), disabled: Boolean(u.disabled), createdAt: u.createdAt })),
    createUser: (body) => call('POST', '/api/admin/users', body),
    updateUser: (id, patch) => call('PATCH', `/api/admin/users/${encodeURIComponent(id)}`, patch),
    resetPassword: (id, password) => call('POST', `/api/admin/users/${encodeURIComponent(id)}/password`, { password }),
    uploadApp: (form) => call('POST', '/api/apps', form),
    removeApp: (id) => call('DELETE', `/api/apps/${encodeURIComponent(id)}`),
    grains: async () => list(await call('GET', '/api/admin/grains'), 'grains'),
    stopGrain: (id) => call('POST', `/api/admin/grains/${encodeURIComponent(id)}/stop`, {}),
    audit: async () => list(await call('GET', '/api/admin/audit'), 'events', 'audit'),
  },
}
