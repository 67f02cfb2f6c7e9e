/**
 * App images in the Docker engine: loading a `docker save` tarball from a
 * stream (never held in memory, cut off at a size limit) and resolving image
 * references to immutable image ids.
 */
import { Transform, type Readable } from 'node:stream'
import type Docker from 'dockerode'
import { APP_ERR_BAD_IMAGE, APP_ERR_IMAGE_TOO_LARGE } from '../core/errors.js'

export const EMPTY_UPLOAD = 'the upload is empty: send the `docker save` tarball as the body'

/** One line of the engine's `POST /images/load` answer. */
interface LoadMessage { stream?: string, error?: string, errorDetail?: { message?: string } }

export interface LoadedImages {
  /** What the engine says it loaded: tags (`name:tag`) and, for untagged images, ids. */
  refs: string[]
  /** The image ids of everything loaded. */
  ids: string[]
  bytes: number
}

/** The image id `ref` names in the engine, or undefined if it names nothing. */
export async function resolveImage (docker: Docker, ref: string): Promise<string | undefined> {
  try {
    const info = await docker.getImage(ref).inspect() as { Id: string }
    return info.Id
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined
    throw err
  }
}

function messagesOf (docker: Docker, output: NodeJS.ReadableStream): Promise<LoadMessage[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(output, (err: Error | null, messages: LoadMessage[]) => err !== null ? reject(err) : resolve(messages))
  })
}

/**
 * Streams a `docker save` tarball into the engine. Counts bytes as they pass
 * and aborts the upload past `maxBytes` (APP_ERR_IMAGE_TOO_LARGE); a tarball
 * the engine cannot read is APP_ERR_BAD_IMAGE with the engine's reason.
 * Nothing is tagged when the load fails.
 */
export async function loadImageTar (docker: Docker, source: Readable, maxBytes: number): Promise<LoadedImages> {
  const abort = new AbortController()
  let bytes = 0
  let tooLarge = false
  let sourceError: Error | undefined
  const counter = new Transform({
    // Larger buffers than the 16 KiB default: fewer round trips between the two sockets.
    highWaterMark: 1 << 20,
    transform (chunk: Buffer, _encoding, done) {
      bytes += chunk.length
      if (bytes > maxBytes) {
        tooLarge = true
        abort.abort()
        done(new APP_ERR_IMAGE_TOO_LARGE(maxBytes))
        return
      }
      done(null, chunk)
    },
  })
  counter.on('error', () => { /* reported through `tooLarge`; the abort ends the engine request */ })
  source.on('error', (err) => {
    sourceError = err
    abort.abort()
  })
  source.on('aborted', () => {
    sourceError ??= new Error('the upload was interrupted')
    abort.abort()
  })
  source.pipe(counter)
  let messages: LoadMessage[]
  try {
    const output = await docker.loadImage(counter, { quiet: true, abortSignal: abort.signal })
    messages = await messagesOf(docker, output)
  } catch (err) {
    if (tooLarge) throw new APP_ERR_IMAGE_TOO_LARGE(maxBytes)
    if (sourceError !== undefined) throw new APP_ERR_BAD_IMAGE(sourceError.message, { cause: sourceError })
    if (bytes === 0) throw new APP_ERR_BAD_IMAGE(EMPTY_UPLOAD, { cause: err })
    throw new APP_ERR_BAD_IMAGE((err as Error).message, { cause: err })
  } finally {
    source.unpipe(counter)
  }
  if (tooLarge) throw new APP_ERR_IMAGE_TOO_LARGE(maxBytes)
  if (bytes === 0) throw new APP_ERR_BAD_IMAGE(EMPTY_UPLOAD)
  const failure = messages.find((m) => m.error !== undefined || m.errorDetail !== undefined)
  if (failure !== undefined) throw new APP_ERR_BAD_IMAGE(failure.errorDetail?.message ?? failure.error ?? 'unknown engine error')
  const refs = messages.flatMap((m) => {
    const line = /^Loaded image(?: ID)?: (.+)$/.exec((m.stream ?? '').trim())
    return line?.[1] !== undefined ? [line[1]] : []
  })
  if (refs.length === 0) throw new APP_ERR_BAD_IMAGE('the tarball holds no image (make it with `docker save <image>`)')
  const ids = (await Promise.all(refs.map((ref) => resolveImage(docker, ref)))).filter((id): id is string => id !== undefined)
  return { refs, ids: [...new Set(ids)], bytes }
}
