/** The last lines a container wrote (stdout and stderr), for start failure messages. */
import type Docker from 'dockerode'

const MAX_TAIL_CHARS = 2000

/** Docker multiplexes non-TTY logs in frames: 1 byte stream, 3 zero bytes, 4 bytes big-endian length, payload. */
export function demuxDockerLog (buf: Buffer): string {
  let out = ''
  let i = 0
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4)
    out += buf.subarray(i + 8, i + 8 + len).toString('utf8')
    i += 8 + len
  }
  return out
}

export async function containerLogTail (container: Docker.Container, lines = 20): Promise<string> {
  try {
    const buf = await container.logs({ stdout: true, stderr: true, tail: lines, follow: false }) as unknown as Buffer
    const text = demuxDockerLog(buf).trimEnd()
    return text.length > MAX_TAIL_CHARS ? '…' + text.slice(-MAX_TAIL_CHARS) : text
  } catch {
    return '(logs unavailable)'
  }
}
