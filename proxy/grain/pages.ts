/** The small HTML pages the proxy answers on grain hosts instead of the grain. */
const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

const page = (title: string, body: string, head = ''): string => `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">${head}<title>${esc(title)}</title>
<style>body{font:16px system-ui,sans-serif;max-width:32em;margin:4em auto;padding:0 1em;color:#222}</style><h1>${esc(title)}</h1>${body}</html>`

/** Security headers for the proxy's own pages on grain hosts: no scripts, framed only by the shell. */
export const pageHeaders = (shellOrigin: string): Record<string, string> => ({
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; frame-ancestors ${shellOrigin}`,
  'referrer-policy': 'same-origin',
})

export const forbiddenPage = (shellOrigin: string): string =>
  page('No access', `<p>You have no access to this grain, or your session for it has ended.</p><p><a href="${esc(shellOrigin)}/">Open Granary</a> and open the grain from there.</p>`)

export const notFoundPage = (shellOrigin: string): string =>
  page('No such grain', `<p>This grain does not exist (it may have been deleted).</p><p><a href="${esc(shellOrigin)}/">Open Granary</a></p>`)

/** Reloads itself every second while the grain starts. */
export const startingPage = (): string =>
  page('Starting…', '<p>This grain is starting. The page will continue by itself.</p>', '<meta http-equiv="refresh" content="1">')

export const unavailablePage = (reason: string): string =>
  page('This grain could not start', `<p>${esc(reason)}</p><p>Try again in a moment; if it keeps failing, tell the app's packager or your admin.</p>`)
