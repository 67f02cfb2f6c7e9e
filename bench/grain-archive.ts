/**
 * Grain export + import throughput: `packGrain` piped into `unpackGrain`
 * (every entry validated) against GNU tar doing the same copy
 * (`tar -c | tar -x`), on the same generated grain, in the same run.
 * Prints its figures last, as one line of JSON.
 */
import { execSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { packGrain, unpackGrain } from '../core/grain-archive.js'

const SMALL_FILES = 2000
const SMALL_BYTES = 4096
const LARGE_FILES = 8
const LARGE_BYTES = 4 * 1024 * 1024
const ROUNDS = 5

const root = mkdtempSync(join(tmpdir(), 'bench-grain-archive-'))
try {
  const src = join(root, 'src')
  for (let i = 0; i < SMALL_FILES; i++) {
    const dir = join(src, `d${i % 50}`)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, `f${i}.json`), Buffer.alloc(SMALL_BYTES, i % 251))
  }
  for (let i = 0; i < LARGE_FILES; i++) writeFileSync(join(src, `blob${i}`), Buffer.alloc(LARGE_BYTES, i))
  const totalMb = (SMALL_FILES * SMALL_BYTES + LARGE_FILES * LARGE_BYTES) / 1048576

  const ours: number[] = []
  const gnu: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    let t = performance.now()
    await unpackGrain(packGrain(src, { appId: 'bench', appVersion: '1.0.0', title: 'bench', exportedAt: 0 }), { targetDir: join(root, `ours${r}`) })
    ours.push(performance.now() - t)
    mkdirSync(join(root, `gnu${r}`))
    t = performance.now()
    execSync(`tar -C ${src} -cf - . | tar -C ${join(root, `gnu${r}`)} -xf -`)
    gnu.push(performance.now() - t)
    rmSync(join(root, `ours${r}`), { recursive: true })
    rmSync(join(root, `gnu${r}`), { recursive: true })
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
  const oursMs = median(ours)
  const gnuMs = median(gnu)
  console.log(`grain of ${SMALL_FILES + LARGE_FILES} files, ${totalMb.toFixed(1)} MiB; median of ${ROUNDS} rounds`)
  console.log(JSON.stringify({
    files: SMALL_FILES + LARGE_FILES,
    data_mib: Number(totalMb.toFixed(1)),
    export_import_ms: Number(oursMs.toFixed(1)),
    export_import_mib_per_s: Number((totalMb / (oursMs / 1000)).toFixed(1)),
    gnu_tar_baseline_ms: Number(gnuMs.toFixed(1)),
    slowdown_vs_gnu_tar: Number((oursMs / gnuMs).toFixed(2)),
  }))
} finally {
  rmSync(root, { recursive: true, force: true })
}
