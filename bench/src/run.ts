/**
 * Benchmark runner: `npm run bench -- [--json] [--quick] [name-filter...]`.
 * Runs every `*.bench.js` beside this file; with `--json` prints one JSON object per line
 * (`{"name":..,"value":..,"unit":..}`), otherwise a table.
 */
import { readdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Benchmark, Measurement } from './harness.js'

const here = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const json = args.includes('--json')
const quick = args.includes('--quick')
const filters = args.filter((a) => !a.startsWith('--'))
const files = readdirSync(here).filter((f) => f.endsWith('.bench.js')).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort()

const results: Measurement[] = []
const report = (name: string, value: number, unit: string): void => {
  const m = { name, value: Number(value.toPrecision(6)), unit }
  results.push(m)
  if (json) process.stdout.write(JSON.stringify(m) + '\n')
  else process.stdout.write(`${name.padEnd(48)} ${String(m.value).padStart(14)} ${unit}\n`)
}

let failed = false
for (const file of files) {
  const mod = await import(pathToFileURL(join(here, file)).href) as { default: Benchmark }
  try {
    await mod.default({ report, quick, ai4iPath: process.env.AI4I_CSV ?? resolve(here, '../../../shared/data/ai4i2020.csv') })
  } catch (err) {
    failed = true
    process.stderr.write(`benchmark ${file} failed: ${(err as Error).stack ?? String(err)}\n`)
  }
}
process.exitCode = failed ? 1 : 0
