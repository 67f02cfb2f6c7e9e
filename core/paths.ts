/** Where each file lives inside the data directory: one place spells them. */
import { join, resolve } from 'node:path'

export const dataPaths = (dataDir: string) => {
  const root = resolve(dataDir)
  return {
    root,
    controlPlaneSocket: join(root, 'control-plane.sock'),
    controlPlaneSecret: join(root, 'control-plane.secret'),
    /** The proxy's own secret (X-User-Id derivation); never leaves the proxy. */
    proxySecret: join(root, 'proxy.secret'),
    grains: join(root, 'grains'),
    tls: join(root, 'tls'),
    /** Written by the proxy once it listens: the URL users open. */
    proxyUrl: join(root, 'proxy.url'),
    /** Written by the proxy while the admin has no password: the one-time setup link. */
    setupUrl: join(root, 'setup-url'),
    /** Where the scripts start a private Redis when REDIS_URL is unset (`provision_redis` in scripts/provision.sh spells it too). */
    privateRedisSocket: join(root, 'redis', 'redis.sock'),
  }
}
