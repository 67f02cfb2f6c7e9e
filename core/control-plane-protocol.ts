/**
 * What the proxy and the control plane agree on: the header carrying the
 * shared secret, and the internal API's routes and answers. The control plane
 * implements these; the proxy's `control-plane-client.ts` calls them.
 *
 * | route | body | answer |
 * | --- | --- | --- |
 * | `GET /healthz` | | `ControlPlaneHealth` |
 * | `POST /grains` | `CreateGrainRequest` | 201 `GrainRecord` |
 * | `DELETE /grains/:id` | | 204; container, data and shares removed |
 * | `POST /grains/:id/wake` | | 200 `WakeAnswer` once the grain accepts HTTP; 503 with the reason (and log tail) if it cannot start |
 * | `POST /grains/:id/stop` | | 204 |
 * | `GET /grains/:id/state` | | `GrainState` |
 * | `GET /grains/states` | | `GrainState[]` |
 * | `POST /access` | `AccessReport` | 204; marks grains as used now (idle shutdown) |
 * | `GET /metrics` | | Prometheus text |
 * | `GET /apps` | | `AppSummary[]`, oldest first |
 * | `GET /apps/:id` | | `AppSummary`; 404 `APP_ERR_NOT_FOUND` |
 * | `POST /apps` | a `docker save` tarball + `MANIFEST_HEADER`, or `PublishAppRequest` (see below) | 201 `AppSummary` |
 * | `DELETE /apps/:id` | `?force=true` to remove it while grains use it | 204; 409 `APP_ERR_IN_USE` while grains use it |
 *
 * Publishing an app (`POST /apps`), two forms:
 *
 * 1. With an image tarball, streamed (made by `docker save <image>`):
 *    ```
 *    POST /apps
 *    content-type: application/x-tar          (application/octet-stream also accepted)
 *    content-length: <bytes>                  (optional: chunked uploads work; over MAX_IMAGE_BYTES is refused early)
 *    x-granary-manifest: <base64 of the manifest text, YAML or JSON, UTF-8>
 *
 *    <tarball bytes>
 *    ```
 *    The header holds at most `MAX_MANIFEST_HEADER_BYTES`.
 *    The manifest is checked before a byte of the body is read; the tarball
 *    goes straight into the engine (never buffered). The app is recorded
 *    only after the image loaded and the manifest's `image` names one of the
 *    images the tarball held; on any failure no record is left.
 *    To forward it (the proxy's `POST /api/apps`), pipe the request body
 *    through unchanged with these three headers.
 * 2. With an image already in the engine: `content-type: application/json`,
 *    body `PublishAppRequest`. It can name any local image, so the public
 *    API should offer this form to admins only.
 *
 * Both answer 201 `AppSummary`, or an error: 400 `APP_ERR_INVALID_MANIFEST`
 * (every problem, `path: reason`, joined by `; `), 400 `APP_ERR_BAD_IMAGE`
 * (the tarball is not one the engine can load), 400 `APP_ERR_IMAGE_MISSING`
 * (the image is not in the engine / not in the tarball), 409
 * `APP_ERR_NOT_NEWER` (the app already has this version or a newer one),
 * 413 `APP_ERR_IMAGE_TOO_LARGE`, 415 for any other content type.
 * A newer version becomes current at once: grains that start afterwards run
 * its image; running grains keep theirs until they stop. Starting a grain:
 * `AppStore.get(appId).current` gives `imageId` (run that id, not the tag)
 * and the manifest; give the container `PORT=<manifest.port>` and
 * `DATA_DIR=<manifest.dataPath>` (the example apps read both) and mount the
 * grain's volume at `dataPath`.
 */
import type { Manifest } from './manifest/schema.js'

export const CONTROL_SECRET_HEADER = 'x-granary-control-secret'

/** Carries the manifest of a tarball upload: base64 of the manifest's text (YAML or JSON). */
export const MANIFEST_HEADER = 'x-granary-manifest'

export const encodeManifestHeader = (manifestText: string): string => Buffer.from(manifestText, 'utf8').toString('base64')

/**
 * Node refuses requests whose headers pass 16 KiB in all, so a manifest sent
 * in `MANIFEST_HEADER` must stay under this many encoded bytes (about 9 KiB of
 * YAML; the example manifests are 1-2 KiB). Larger manifests: load the image
 * into the engine first and publish with `PublishAppRequest`.
 */
export const MAX_MANIFEST_HEADER_BYTES = 12 * 1024

export interface PublishAppRequest {
  /** The manifest: its text (YAML or JSON) or the parsed object. */
  manifest: string | Record<string, unknown>
  /** An image reference already in the engine; default: the manifest's `image`. */
  image?: string
}

export interface AppSummary {
  id: string
  name: string
  icon?: string
  /** The current version: what new grains run. */
  version: string
  /** Every recorded version, oldest first. */
  versions: string[]
  /** Engine image id of the current version. */
  imageId: string
  /** The current version's manifest (roles, permissions, actions). */
  manifest: Manifest
  createdAt: number
  updatedAt: number
}

export interface ControlPlaneHealth { ok: boolean, redis: boolean, docker: boolean }

export interface CreateGrainRequest { appId: string, title: string, owner: string }

/** Where the proxy reaches a running grain, from the host side. */
export interface WakeAnswer { host: string, port: number }

export type GrainRunState = 'running' | 'paused' | 'stopped' | 'starting' | 'failed'

export interface GrainState {
  grainId: string
  state: GrainRunState
  /** Why it failed, when `state` is `failed`. */
  reason?: string
  lastUsedAt?: number
}

/** Grains the proxy saw traffic for (or holds open WebSockets to) since its last report. */
export interface AccessReport { grainIds: string[] }
