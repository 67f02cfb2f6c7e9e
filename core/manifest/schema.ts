/**
 * The app manifest: what a packager declares about an app. This TypeBox schema
 * is the shape; `validate.ts` (one validator used everywhere) adds the rules a
 * schema cannot say (unique ids, roles naming declared permissions, ...).
 */
import { Type, type Static } from '@sinclair/typebox'

const Id = Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$', description: 'lowercase id: letters, digits, "-"' })

export const PermissionSchema = Type.Object({
  id: Id,
  title: Type.String({ minLength: 1, maxLength: 80 }),
  description: Type.Optional(Type.String({ maxLength: 500 })),
}, { additionalProperties: false })

export const RoleSchema = Type.Object({
  id: Id,
  title: Type.String({ minLength: 1, maxLength: 80 }),
  permissions: Type.Array(Id, { minItems: 0 }),
  default: Type.Optional(Type.Boolean({ description: 'the role offered first when sharing' })),
}, { additionalProperties: false })

export const ActionSchema = Type.Object({
  id: Id,
  title: Type.String({ minLength: 1, maxLength: 80, description: 'e.g. "New note"' }),
}, { additionalProperties: false })

export const LimitsSchema = Type.Object({
  memoryMb: Type.Optional(Type.Integer({ minimum: 16, maximum: 65536 })),
  cpus: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 64 })),
  pids: Type.Optional(Type.Integer({ minimum: 8, maximum: 65536 })),
}, { additionalProperties: false })

export const ManifestSchema = Type.Object({
  id: Id,
  name: Type.String({ minLength: 1, maxLength: 80 }),
  version: Type.String({ minLength: 1, maxLength: 64, description: 'semver, e.g. 1.2.0' }),
  image: Type.String({ minLength: 1, maxLength: 256, description: 'image reference the app runs' }),
  port: Type.Integer({ minimum: 1024, maximum: 65535, description: 'grains run as an unprivileged user, so 1024-65535' }),
  dataPath: Type.String({ minLength: 1, maxLength: 256, description: 'absolute path of the data directory inside the container' }),
  icon: Type.Optional(Type.String({ maxLength: 16, description: 'an emoji or short text shown as the app icon' })),
  permissions: Type.Array(PermissionSchema, { minItems: 1, maxItems: 64 }),
  roles: Type.Array(RoleSchema, { minItems: 1, maxItems: 32 }),
  actions: Type.Array(ActionSchema, { minItems: 1, maxItems: 16 }),
  limits: Type.Optional(LimitsSchema),
  idleTimeoutMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 86_400_000 })),
  allowAnonymous: Type.Optional(Type.Boolean({ description: 'may visitors who are not logged in open it through a sharing link' })),
}, { additionalProperties: false })

export type Manifest = Static<typeof ManifestSchema>
export type Permission = Static<typeof PermissionSchema>
export type Role = Static<typeof RoleSchema>
export type Action = Static<typeof ActionSchema>
export type Limits = Static<typeof LimitsSchema>
