#!/usr/bin/env node
// Compares the generator with the real AI4I 2020 data and writes the tables into docs/simulator.md
// (between the compare-ai4i markers). Usage, after `npm run build`:
//   node sensor-simulator/scripts/compare-ai4i.mjs [--csv FILE] [--print]   (default: $AI4I_CSV, else ../shared/data/ai4i2020.csv)
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'csv-parse/sync'
import { generateLabelledTelemetry, failureRegions, powerW, KELVIN_OFFSET } from '../dist/src/index.js'
import { writeDocSection } from './doc-section.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const arg = (name, fallback) => { const i = process.argv.indexOf(name); return i === -1 ? fallback : process.argv[i + 1] }
const csvPath = resolve(arg('--csv', process.env.AI4I_CSV ?? join(root, '../shared/data/ai4i2020.csv')))
const docPath = join(root, 'docs/simulator.md')
const MACHINES = 50
const READINGS = 10_000
const SEED = 1

/** Column vectors of one data set, in AI4I units, plus its failure labels. */
function emptyData () {
  return { air: [], proc: [], rpm: [], torque: [], wear: [], type: [], labels: { TWF: 0, HDF: 0, PWF: 0, OSF: 0, RNF: 0, any: 0 }, n: 0, lag: [] }
}

function addRow (d, v, modes) {
  d.air.push(v.airK); d.proc.push(v.processK); d.rpm.push(v.rpm); d.torque.push(v.torque); d.wear.push(v.toolWear); d.type.push(v.productType)
  for (const m of modes) d.labels[m]++
  if (modes.length > 0) d.labels.any++
  d.n++
}

const real = emptyData()
for (const r of parse(readFileSync(csvPath), { bom: true, columns: true })) {
  const v = { airK: +r['Air temperature [K]'], processK: +r['Process temperature [K]'], rpm: +r['Rotational speed [rpm]'], torque: +r['Torque [Nm]'], toolWear: +r['Tool wear [min]'], productType: r.Type }
  addRow(real, v, ['TWF', 'HDF', 'PWF', 'OSF', 'RNF'].filter((m) => r[m] === '1'))
  if (r['Machine failure'] === '1' && !['TWF', 'HDF', 'PWF', 'OSF', 'RNF'].some((m) => r[m] === '1')) real.labels.any++
}
real.lag.push(lagOne(real.air))

function simulate (natural) {
  const d = emptyData()
  const perMachine = new Map()
  for (const { telemetry: t, failure } of generateLabelledTelemetry({ machines: MACHINES, readingsPerMachine: READINGS, seed: SEED, natural })) {
    const v = { airK: t.airTemperature + KELVIN_OFFSET, processK: t.temperature + KELVIN_OFFSET, rpm: t.rpm, torque: t.torque, toolWear: t.toolWear, productType: t.productType }
    const modes = failureRegions(v)
    if (failure === 'TWF' || failure === 'RNF') modes.push(failure)
    addRow(d, v, modes)
    if (!perMachine.has(t.machineId)) perMachine.set(t.machineId, [])
    perMachine.get(t.machineId).push(v.airK)
  }
  for (const series of perMachine.values()) d.lag.push(lagOne(series))
  return d
}
const natural = simulate(true)
const healthy = simulate(false)

function mean (x) { let s = 0; for (const v of x) s += v; return s / x.length }
function std (x) { const m = mean(x); let s = 0; for (const v of x) s += (v - m) ** 2; return Math.sqrt(s / (x.length - 1)) }
function pct (x, q) { const s = Float64Array.from(x).sort(); return s[Math.min(s.length - 1, Math.floor(q * s.length))] }
function corr (a, b) { const ma = mean(a); const mb = mean(b); let s = 0; let sa = 0; let sb = 0; for (let i = 0; i < a.length; i++) { s += (a[i] - ma) * (b[i] - mb); sa += (a[i] - ma) ** 2; sb += (b[i] - mb) ** 2 } return s / Math.sqrt(sa * sb) }
function lagOne (x) { return corr(x.slice(0, -1), x.slice(1)) }
const fmt = (v, d = 1) => v.toFixed(d)

const signals = [
  ['Air temperature [K]', (d) => d.air, 1],
  ['Process temperature [K]', (d) => d.proc, 1],
  ['Process − air [K]', (d) => d.proc.map((p, i) => p - d.air[i]), 2],
  ['Rotational speed [rpm]', (d) => d.rpm, 0],
  ['Torque [Nm]', (d) => d.torque, 1],
  ['Tool wear [min]', (d) => d.wear, 0],
  ['Power [W]', (d) => d.rpm.map((r, i) => powerW(r, d.torque[i])), 0],
  ['Wear × torque [min·Nm]', (d) => d.wear.map((w, i) => w * d.torque[i]), 0]
]
const lines = []
lines.push(`Real: ${real.n.toLocaleString('en')} rows of \`ai4i2020.csv\`. Generated: ${MACHINES} machines × ${READINGS.toLocaleString('en')} readings, seed ${SEED}; "natural" is the unconditioned process (\`natural: true\`), "healthy" what the simulator publishes by default.`)
lines.push('')
lines.push('| signal | real mean | real σ | natural mean | natural σ | healthy mean | healthy σ | real 1 % / 99 % | natural 1 % / 99 % |')
lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
for (const [name, get, d] of signals) {
  const r = get(real); const n = get(natural); const h = get(healthy)
  lines.push(`| ${name} | ${fmt(mean(r), d)} | ${fmt(std(r), d + 1)} | ${fmt(mean(n), d)} | ${fmt(std(n), d + 1)} | ${fmt(mean(h), d)} | ${fmt(std(h), d + 1)} | ${fmt(pct(r, 0.01), d)} / ${fmt(pct(r, 0.99), d)} | ${fmt(pct(n, 0.01), d)} / ${fmt(pct(n, 0.99), d)} |`)
}
lines.push('')
lines.push('| relation | real | natural | healthy |')
lines.push('| --- | ---: | ---: | ---: |')
lines.push(`| correlation speed–torque | ${fmt(corr(real.rpm, real.torque), 3)} | ${fmt(corr(natural.rpm, natural.torque), 3)} | ${fmt(corr(healthy.rpm, healthy.torque), 3)} |`)
lines.push(`| lag-1 autocorrelation of air temperature | ${fmt(real.lag[0], 4)} | ${fmt(mean(natural.lag), 4)} | ${fmt(mean(healthy.lag), 4)} |`)
for (const t of ['L', 'M', 'H']) {
  const share = (d) => `${fmt(100 * d.type.filter((x) => x === t).length / d.n, 1)} %`
  lines.push(`| product type ${t} | ${share(real)} | ${share(natural)} | ${share(healthy)} |`)
}
lines.push('')
lines.push('Failure rates, per 1,000 cycles (a cycle can have several modes; "any" counts cycles):')
lines.push('')
lines.push('| mode | real | natural | healthy |')
lines.push('| --- | ---: | ---: | ---: |')
for (const m of ['HDF', 'PWF', 'OSF', 'TWF', 'RNF', 'any']) {
  const rate = (d) => fmt(1000 * d.labels[m] / d.n, 2)
  lines.push(`| ${m} | ${rate(real)} | ${rate(natural)} | ${rate(healthy)} |`)
}
const table = lines.join('\n')

if (process.argv.includes('--print')) process.stdout.write(table + '\n')
else writeDocSection(docPath, 'compare-ai4i', table)
