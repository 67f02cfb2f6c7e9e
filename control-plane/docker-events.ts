/**
 * Follows the Docker engine's event stream for Granary's containers (filtered
 * by label) and hands each parsed event to `onEvent`. If the stream ends or
 * fails, it reconnects after a pause and calls `onReconnect` (events may have
 * been missed, so the caller resynchronises). `close()` stops for good.
 */
import type Docker from 'dockerode'

const RECONNECT_DELAY_MS = 1000

export interface ContainerEvent {
  /** `die`, `pause`, `unpause`, `destroy`, `oom`, ... */
  action: string
  containerId: string
  attributes: Record<string, string>
}

export interface EventFollower { ready: Promise<void>, close(): void }

export function followContainerEvents (docker: Docker, labelFilters: string[], onEvent: (e: ContainerEvent) => void, onReconnect: () => void, onError: (err: unknown) => void): EventFollower {
  let closed = false
  let stream: NodeJS.ReadableStream & { destroy?: () => void } | undefined
  let timer: NodeJS.Timeout | undefined

  const connect = async (): Promise<void> => {
    const s = await docker.getEvents({ filters: JSON.stringify({ type: ['container'], label: labelFilters, event: ['die', 'destroy', 'pause', 'unpause', 'oom'] }) }) as NodeJS.ReadableStream & { destroy?: () => void }
    if (closed) { s.destroy?.(); return }
    stream = s
    let buffered = ''
    s.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8')
      let nl: number
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim()
        buffered = buffered.slice(nl + 1)
        if (line === '') continue
        try {
          const raw = JSON.parse(line) as { Action?: string, status?: string, id?: string, Actor?: { ID?: string, Attributes?: Record<string, string> } }
          onEvent({ action: raw.Action ?? raw.status ?? '', containerId: raw.Actor?.ID ?? raw.id ?? '', attributes: raw.Actor?.Attributes ?? {} })
        } catch (err) {
          onError(err)
        }
      }
    })
    const again = (): void => {
      if (closed || stream !== s) return
      stream = undefined
      timer = setTimeout(() => { reconnect() }, RECONNECT_DELAY_MS)
      timer.unref()
    }
    s.on('end', again)
    s.on('close', again)
    s.on('error', (err) => { onError(err); again() })
  }
  const reconnect = (): void => {
    connect().then(onReconnect, (err) => {
      onError(err)
      if (!closed) { timer = setTimeout(reconnect, RECONNECT_DELAY_MS); timer.unref() }
    })
  }
  return {
    ready: connect(),
    close () {
      closed = true
      if (timer !== undefined) clearTimeout(timer)
      stream?.destroy?.()
      stream = undefined
    },
  }
}
