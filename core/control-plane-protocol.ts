/**
 * What the proxy and the control plane agree on: the header carrying the
 * shared secret and the shapes of the internal API's answers.
 */
export const CONTROL_SECRET_HEADER = 'x-granary-control-secret'

export interface ControlPlaneHealth { ok: boolean, redis: boolean, docker: boolean }
