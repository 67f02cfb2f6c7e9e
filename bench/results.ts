/** Writes one section of bench/RESULTS.md (creating the file with its header if missing), replacing that section's previous text. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'

const FILE = new URL('./RESULTS.md', import.meta.url)
const HEADER = '# Benchmark results\n\nEach section is rewritten by its benchmark (`npm run bench:<name>`). Machine: 2 cores, 24 GiB.\n'

export function writeResultsSection (title: string, body: string): void {
  const text = existsSync(FILE) ? readFileSync(FILE, 'utf8') : HEADER
  const heading = `## ${title}\n`
  const section = `${heading}\n${body.trim()}\n`
  const start = text.indexOf(heading)
  if (start < 0) {
    writeFileSync(FILE, `${text.trimEnd()}\n\n${section}`)
    return
  }
  const next = text.indexOf('\n## ', start + heading.length)
  writeFileSync(FILE, text.slice(0, start) + section + (next < 0 ? '' : text.slice(next)))
}
