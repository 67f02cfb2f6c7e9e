/**
 * Password login, logout, "who am I", and the one-time admin setup.
 *
 * | route | body | answer |
 * | --- | --- | --- |
 * | `POST /api/session` | {username, password} | 200 {user}; sets the session cookie. 401 wrong username or password (one message for both); 429 locked out |
 * | `DELETE /api/session` | | 204; the session ends server-side and the cookie is cleared |
 * | `GET /api/me` | | {user, identities} or 401 |
 * | `POST /api/setup` | {token, password} | 200 {user}: sets the admin password with the setup token, logs in |
 */
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { AUTH_ERR_BAD_LOGIN, AUTH_ERR_SETUP } from '../../core/errors.js'
import type { User } from '../../core/users.js'
import { completeSetup } from '../auth/admin-setup.js'
import { requireUser } from '../auth/authenticate.js'
import { DEFAULT_SESSION_MAX_AGE_MS } from '../auth/sessions.js'
import { SHELL_COOKIE, clearCookie, setCookie } from '../http/cookies.js'
import { Password, UserSchema, Username, errors, userView } from './schemas.js'

const LoginBody = Type.Object({ username: Username, password: Password }, { additionalProperties: false })
const SetupBody = Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }), password: Password }, { additionalProperties: false })
const UserAnswer = Type.Object({ user: UserSchema })

/**
 * Starts a fresh shell session (a new id at every login), sets its cookie and
 * records the login in the audit log; `method` says how (`password`, `setup`,
 * `oidc:<provider id>`).
 */
export async function startShellSession (app: FastifyInstance, reply: FastifyReply, user: User, method: string): Promise<void> {
  const id = await app.services.sessions.create({ userId: user.id, kind: 'shell', displayName: user.displayName })
  reply.header('set-cookie', setCookie(SHELL_COOKIE, id, Math.floor(DEFAULT_SESSION_MAX_AGE_MS / 1000)))
  await app.services.audit.record({ action: 'login', actor: user.id, details: { method } })
}

export async function sessionRoutes (app: FastifyInstance): Promise<void> {
  const { users, passwords, throttle, sessions } = app.services

  app.post<{ Body: Static<typeof LoginBody> }>('/api/session', {
    schema: { tags: ['session'], summary: 'Log in with a password', body: LoginBody, response: { 200: UserAnswer, ...errors(400, 401, 403, 429) } },
  }, async (request, reply) => {
    const { username, password } = request.body
    await throttle.check(request.ip, username)
    const user = await users.byUsername(username)
    const ok = await passwords.verify(user?.disabled === true ? undefined : user?.id, password)
    if (!ok || user === undefined) {
      await throttle.fail(request.ip, username)
      throw new AUTH_ERR_BAD_LOGIN()
    }
    await throttle.succeed(username)
    if (request.auth?.sessionId !== undefined) await sessions.delete(request.auth.sessionId)
    await startShellSession(app, reply, user, 'password')
    return { user: userView(user) }
  })

  app.delete('/api/session', {
    schema: { tags: ['session'], summary: 'Log out', response: { 204: Type.Null(), ...errors(403) } },
  }, async (request, reply) => {
    if (request.auth?.sessionId !== undefined) await sessions.delete(request.auth.sessionId)
    return reply.header('set-cookie', clearCookie(SHELL_COOKIE)).code(204).send()
  })

  app.get('/api/me', {
    schema: { tags: ['session'], summary: 'Who am I', response: { 200: UserAnswer, ...errors(401) } },
  }, async (request) => ({ user: userView(requireUser(request)) }))

  app.post<{ Body: Static<typeof SetupBody> }>('/api/setup', {
    schema: { tags: ['session'], summary: 'Set the first admin password with the one-time setup token', body: SetupBody, response: { 200: UserAnswer, ...errors(400, 403) } },
  }, async (request, reply) => {
    const admin = await completeSetup(app.redis, app.services, request.body.token, request.body.password)
    if (admin === undefined) throw new AUTH_ERR_SETUP()
    await startShellSession(app, reply, admin, 'setup')
    return { user: userView(admin) }
  })

  // The page the setup link opens: the token travels in the fragment, so it never reaches a log or a Referer.
  app.get('/setup', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'none'").header('referrer-policy', 'no-referrer').send(SETUP_PAGE))
}

const SETUP_PAGE = `<!doctype html><meta charset="utf-8"><title>Granary setup</title>
<style>body{font:16px system-ui;max-width:28em;margin:4em auto}input,button{font:inherit;padding:.4em;margin:.3em 0;width:100%}</style>
<h1>Welcome to Granary</h1><p>Choose the password of the <b>admin</b> account.</p>
<form id="f"><input id="p" type="password" autocomplete="new-password" minlength="8" required placeholder="new admin password"><button>Set password</button></form><p id="m" role="status"></p>
<script>
document.getElementById('f').addEventListener('submit', async (e) => {
  e.preventDefault()
  const res = await fetch('/api/setup', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: location.hash.slice(1), password: document.getElementById('p').value }) })
  const body = await res.json()
  if (res.ok) { history.replaceState(null, '', '/setup'); location.href = '/' } else document.getElementById('m').textContent = body.error.message
})
</script>`
