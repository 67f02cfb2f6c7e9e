/**
 * The sharing service as a fastify plugin: decorates `app.sharing`, on the
 * app's Redis client (`granary-redis` must be registered first). Each process
 * gets one service, so one versioned cache per process.
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { SharingService, type SharingServiceOptions } from './service.js'

declare module 'fastify' {
  interface FastifyInstance { sharing: SharingService }
}

export type SharingPluginOptions = Omit<SharingServiceOptions, 'redis'>

export const sharingPlugin = fp(async function sharingPlugin (app: FastifyInstance, opts: SharingPluginOptions) {
  app.decorate('sharing', new SharingService({ ...opts, redis: app.redis }))
}, { name: 'granary-sharing', dependencies: ['granary-redis'] })
