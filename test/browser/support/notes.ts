/** Helpers for the Notes app inside a grain frame (what a person sees of the note). */
import type { Frame } from 'playwright-core'

/** The first open starts the grain's container: allow for a slow start on a busy machine. */
const READY_ATTEMPT_MS = 25_000
const READY_ATTEMPTS = 3

/**
 * Waits until the note is connected and its editing mode is known (the app sets `readonly`
 * from its hello). A WebSocket that never connects (Chromium drops sockets in flight when
 * Docker adds a network interface on a busy machine) gets what a person would do: a reload.
 */
export async function noteReady (frame: Frame): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await frame.locator('#status').filter({ hasNotText: /connecting/ }).waitFor({ timeout: READY_ATTEMPT_MS })
      return
    } catch (err) {
      if (attempt >= READY_ATTEMPTS) throw err
      await frame.evaluate(() => { location.reload() }).catch(() => {})
    }
  }
}

export const note = (frame: Frame) => frame.locator('#text')

export const isReadOnly = async (frame: Frame): Promise<boolean> => note(frame).evaluate((el) => (el as HTMLTextAreaElement).readOnly)

/** Waits until the note shows exactly `value` (edits arrive live over the app's WebSocket). */
export async function waitForValue (frame: Frame, value: string): Promise<void> {
  await frame.waitForFunction((v) => (document.getElementById('text') as HTMLTextAreaElement | null)?.value === v, value, { timeout: 10_000 })
}

/** A PUT the person's own browser sends to the grain, as the app's own code would; resolves to the status. */
export const attemptWrite = (frame: Frame, text: string): Promise<number> => frame.evaluate(async (body) =>
  (await fetch('/api/note', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: body }) })).status, text)
