/**
 * Every setting of every Granary service, in one place. Each service picks the
 * settings it needs (`proxySettings`, `controlPlaneSettings`); shared ones are
 * declared once in `commonSettings`.
 */
import { Type } from '@sinclair/typebox'
import { setting, loadConfig, type ConfigOf } from './config.js'

const Port = Type.Integer({ minimum: 0, maximum: 65535 })
const LogLevel = Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)))

export const commonSettings = {
  dataDir: setting('GRANARY_DATA_DIR', Type.String({ minLength: 1 }), './data', 'Directory for Redis (when private), logs, certificates, secrets and grain data.'),
  redisUrl: setting('REDIS_URL', Type.String({ pattern: '^(redis|rediss|redis\\+unix)://' }), undefined, 'Redis to use (`redis://host:port/db` or `redis+unix:///path.sock`). Unset: the scripts start a private one on a Unix socket in the data directory.'),
  logLevel: setting('LOG_LEVEL', LogLevel, 'info', 'pino log level.'),
  controlPlaneSocket: setting('CONTROL_PLANE_SOCKET', Type.String({ minLength: 1 }), undefined, 'Unix socket the control plane listens on (only the proxy and admin tools reach it).', '`<data dir>/control-plane.sock`'),
  controlPlaneSecret: setting('CONTROL_PLANE_SECRET', Type.String({ minLength: 32 }), undefined, 'Shared secret the proxy sends to the control plane (also `CONTROL_PLANE_SECRET_FILE`).', 'generated into `<data dir>/control-plane.secret`'),
} as const

/** Read by the control plane (which makes the network) and the grain-firewall service (which guards its bridge). */
const grainNetwork = setting('GRAIN_NETWORK', Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]+$' }), 'granary-grains', 'Internal Docker network for grains (no route out, no traffic between grains); the grain-firewall service reads it too.')

export const controlPlaneSettings = {
  ...commonSettings,
  dockerSocket: setting('DOCKER_SOCKET', Type.String({ minLength: 1 }), '/var/run/docker.sock', 'Docker engine socket the control plane drives.'),
  grainNetwork,
  maxGrainMemoryMb: setting('MAX_GRAIN_MEMORY_MB', Type.Integer({ minimum: 16 }), 512, 'Cap on any grain\'s memory limit, whatever its manifest asks.'),
  maxGrainCpus: setting('MAX_GRAIN_CPUS', Type.Number({ exclusiveMinimum: 0 }), 1, 'Cap on any grain\'s CPU limit.'),
  maxGrainPids: setting('MAX_GRAIN_PIDS', Type.Integer({ minimum: 8 }), 256, 'Cap on any grain\'s process count.'),
  grainStartTimeoutMs: setting('GRAIN_START_TIMEOUT_MS', Type.Integer({ minimum: 100 }), 30_000, 'How long a grain may take to accept HTTP before its start fails.'),
  grainPauseAfterMs: setting('GRAIN_PAUSE_AFTER_MS', Type.Integer({ minimum: 0 }), 30_000, 'Idle time after which a running grain is paused (0: never).'),
  maxImageBytes: setting('MAX_IMAGE_BYTES', Type.Integer({ minimum: 1024 }), 2_147_483_648, 'Largest app image tarball (`docker save`) the control plane accepts when an app is submitted.'),
  instanceId: setting('GRANARY_INSTANCE_ID', Type.String({ pattern: '^[a-z0-9-]{1,64}$' }), undefined, 'Labels every grain container this control plane runs (`granary.instance`); the up command sets it to tell its own containers apart and removes them when it stops.'),
  grainIdleTimeoutMs: setting('GRAIN_IDLE_TIMEOUT_MS', Type.Integer({ minimum: 1000 }), 300_000, 'Cap on the idle time after which a grain is stopped (its manifest may ask for less).'),
  grainSweepIntervalMs: setting('GRAIN_SWEEP_INTERVAL_MS', Type.Integer({ minimum: 50 }), 5_000, 'How often the control plane looks for idle grains to pause or stop.'),
} as const

export const proxySettings = {
  ...commonSettings,
  host: setting('HOST', Type.String({ minLength: 1 }), '0.0.0.0', 'Address the proxy listens on.'),
  port: setting('PORT', Port, 8443, 'HTTPS port of the proxy (0: any free port).'),
  httpPort: setting('HTTP_PORT', Port, 8080, 'Plain HTTP port; it only redirects to HTTPS (0: any free port).'),
  baseDomain: setting('BASE_DOMAIN', Type.String({ pattern: '^[a-z0-9.-]+(:[0-9]+)?$' }), 'granary.localhost', 'Shell host name; grain `g` is served at `g.<BASE_DOMAIN>`. Keep shell and grains on one site (e.g. `granary.example.com`, not a bare TLD like `localhost`), or browsers withhold the grain cookie inside the shell\'s frame.'),
  publicPort: setting('PUBLIC_PORT', Port, undefined, 'Port users reach the proxy on, when it differs from `PORT` (e.g. behind port forwarding).', 'same as `PORT`'),
  tlsCert: setting('TLS_CERT_FILE', Type.String({ minLength: 1 }), undefined, 'PEM certificate chain; unset: a self-signed one is made once in the data directory.'),
  tlsKey: setting('TLS_KEY_FILE', Type.String({ minLength: 1 }), undefined, 'PEM private key matching `TLS_CERT_FILE`.'),
  adminPassword: setting('ADMIN_PASSWORD', Type.String({ minLength: 8 }), undefined, 'Password of the `admin` account created on first start (also `ADMIN_PASSWORD_FILE`); unset: a one-time setup link is printed.'),
  oidcProviders: setting('OIDC_PROVIDERS', Type.String({ minLength: 1 }), undefined, 'OpenID Connect providers, a JSON array of `{"id","name","issuer","clientId","clientSecret"}` (also `OIDC_PROVIDERS_FILE`); each gets the redirect URI `https://<BASE_DOMAIN>/api/session/oidc/<id>/callback`.'),
  bodyLimitBytes: setting('BODY_LIMIT_BYTES', Type.Integer({ minimum: 1024 }), 104_857_600, 'Largest request body the proxy accepts (API and grain uploads).'),
} as const

/** The docker compose service that holds the host firewall rule for the grain network's bridge (control-plane/grain-firewall.ts). */
export const grainFirewallSettings = {
  logLevel: commonSettings.logLevel,
  grainNetwork,
  grainFirewallCheckMs: setting('GRAIN_FIREWALL_CHECK_MS', Type.Integer({ minimum: 100 }), 30_000, 'How often the grain-firewall service checks that its iptables rule is still there, and puts it back if not (after a firewall reload, say).'),
} as const

export type CommonConfig = ConfigOf<typeof commonSettings>
export type ControlPlaneConfig = ConfigOf<typeof controlPlaneSettings>
export type ProxyConfig = ConfigOf<typeof proxySettings>
export type GrainFirewallConfig = ConfigOf<typeof grainFirewallSettings>

export const loadControlPlaneConfig = (env: Readonly<Record<string, string | undefined>>): ControlPlaneConfig => loadConfig(controlPlaneSettings, env)
export const loadProxyConfig = (env: Readonly<Record<string, string | undefined>>): ProxyConfig => loadConfig(proxySettings, env)
export const loadGrainFirewallConfig = (env: Readonly<Record<string, string | undefined>>): GrainFirewallConfig => loadConfig(grainFirewallSettings, env)
