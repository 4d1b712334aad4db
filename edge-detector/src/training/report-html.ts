import { FAILURE_MODE_NAMES } from './dataset.js'
import type { CurvePoint, Evaluation } from './evaluation.js'
import type { Histogram, TrainingReport } from './report-schema.js'

const W = 360
const H = 260
const PAD = 44

function esc (text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

const fmt = (v: number, digits = 3): string => Number.isFinite(v) ? v.toFixed(digits) : '–'

/** Axes, ticks and labels of a chart with x and y in [x0, x1] × [0, yMax]. */
function axes (title: string, xLabel: string, yLabel: string, x0: number, x1: number, yMax: number, w = W): string {
  const ticks: string[] = []
  for (let i = 0; i <= 4; i++) {
    const x = PAD + (w - 1.5 * PAD) * i / 4
    const y = H - PAD - (H - 2 * PAD) * i / 4
    ticks.push(`<text x="${x}" y="${H - PAD + 14}" text-anchor="middle">${fmt(x0 + (x1 - x0) * i / 4, 2)}</text>`)
    ticks.push(`<text x="${PAD - 6}" y="${y + 4}" text-anchor="end">${fmt(yMax * i / 4, yMax >= 10 ? 0 : 2)}</text>`)
  }
  return `<text x="${w / 2}" y="16" text-anchor="middle" class="title">${esc(title)}</text>` +
    `<line x1="${PAD}" y1="${H - PAD}" x2="${w - PAD / 2}" y2="${H - PAD}" class="axis"/>` +
    `<line x1="${PAD}" y1="${PAD}" x2="${PAD}" y2="${H - PAD}" class="axis"/>` + ticks.join('') +
    `<text x="${w / 2}" y="${H - 8}" text-anchor="middle">${esc(xLabel)}</text>` +
    `<text x="12" y="${H / 2}" text-anchor="middle" transform="rotate(-90 12 ${H / 2})">${esc(yLabel)}</text>`
}

const sx = (v: number, x0: number, x1: number, w = W): number => PAD + (w - 1.5 * PAD) * (v - x0) / (x1 - x0)
const sy = (v: number, yMax: number): number => H - PAD - (H - 2 * PAD) * v / yMax

/** A curve in the unit square (ROC or precision-recall). */
export function curveSvg (title: string, xLabel: string, yLabel: string, points: CurvePoint[], diagonal: boolean): string {
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.x, 0, 1).toFixed(1)},${sy(p.y, 1).toFixed(1)}`).join('')
  const diag = diagonal ? `<line x1="${sx(0, 0, 1)}" y1="${sy(0, 1)}" x2="${sx(1, 0, 1)}" y2="${sy(1, 1)}" class="chance"/>` : ''
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">` +
    axes(title, xLabel, yLabel, 0, 1, 1) + diag + `<path d="${path}" class="curve"/></svg>`
}

/** Score histogram: share of normal rows and of failures per bin, threshold marked. */
export function histogramSvg (h: Histogram, threshold: number): string {
  const x0 = h.edges[0]
  const x1 = h.edges[h.edges.length - 1]
  const totalNormal = h.normal.reduce((a, b) => a + b, 0) || 1
  const totalFail = h.failures.reduce((a, b) => a + b, 0)
  const share = (counts: number[], total: number): number[] => counts.map((c) => c / total)
  const normal = share(h.normal, totalNormal)
  const failures = totalFail > 0 ? share(h.failures, totalFail) : []
  const yMax = Math.max(...normal, ...failures, 1e-9) * 1.05
  const w = 2 * W
  const bars = (values: number[], cls: string): string => values.map((v, i) => {
    const left = sx(h.edges[i], x0, x1, w)
    const width = Math.max(0.5, sx(h.edges[i + 1], x0, x1, w) - left - 0.5)
    return `<rect x="${left.toFixed(1)}" y="${sy(v, yMax).toFixed(1)}" width="${width.toFixed(1)}" height="${(sy(0, yMax) - sy(v, yMax)).toFixed(1)}" class="${cls}"/>`
  }).join('')
  const t = sx(threshold, x0, x1, w)
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${H}" width="${w}" height="${H}" role="img" aria-label="Score histogram">` +
    axes('Anomaly scores: normal rows vs failures', 'score', 'share of class', x0, x1, yMax, w) + bars(normal, 'normal') + bars(failures, 'failure') +
    `<line x1="${t.toFixed(1)}" y1="${PAD}" x2="${t.toFixed(1)}" y2="${H - PAD}" class="threshold"/>` +
    `<text x="${(t + 4).toFixed(1)}" y="${PAD + 10}" class="label">threshold ${fmt(threshold)}</text>` +
    `<rect x="${w - 170}" y="26" width="10" height="10" class="normal"/><text x="${w - 155}" y="35">normal</text>` +
    (totalFail > 0 ? `<rect x="${w - 100}" y="26" width="10" height="10" class="failure"/><text x="${w - 85}" y="35">failures</text>` : '') +
    '</svg>'
}

function figuresTable (rows: Array<[string, Evaluation | null]>): string {
  const present = rows.filter((r): r is [string, Evaluation] => r[1] !== null)
  if (present.length === 0) return ''
  const keys: Array<[string, (e: Evaluation) => string]> = [
    ['ROC-AUC', (e) => fmt(e.auc)], ['Average precision', (e) => fmt(e.ap)], ['Precision', (e) => fmt(e.precision)],
    ['Recall', (e) => fmt(e.recall)], ['F1', (e) => fmt(e.f1)], ['Flagged rows', (e) => `${fmt(e.flagged * 100, 1)} %`]
  ]
  return `<table><tr><th></th>${present.map(([n]) => `<th>${esc(n)}</th>`).join('')}</tr>` +
    keys.map(([k, f]) => `<tr><td>${k}</td>${present.map(([, e]) => `<td>${f(e)}</td>`).join('')}</tr>`).join('') + '</table>'
}

function modeTable (e: Evaluation): string {
  return '<table><tr><th>Failure mode</th><th>Rows</th><th>Detected</th><th>Recall</th></tr>' +
    e.perMode.map((m) => `<tr><td>${m.mode} — ${esc(FAILURE_MODE_NAMES[m.mode])}</td><td>${m.rows}</td><td>${m.detected}</td><td>${m.rows > 0 ? fmt(m.recall) : '–'}</td></tr>`).join('') +
    '</table>'
}

function confusionTable (e: Evaluation): string {
  const c = e.confusion
  return '<table><tr><th></th><th>flagged</th><th>not flagged</th></tr>' +
    `<tr><th>failure</th><td>${c.tp}</td><td>${c.fn}</td></tr><tr><th>normal</th><td>${c.fp}</td><td>${c.tn}</td></tr></table>`
}

/** The report as one self-contained HTML page: inline CSS and SVG, no scripts, nothing fetched. */
export function renderReportHtml (r: TrainingReport): string {
  const e = r.evaluation
  const features = r.model.features.map((f) => `<tr><td><code>${esc(f.name)}</code></td><td>${esc(f.description)}</td><td>${esc(f.unit)}</td><td>${fmt(f.mean, 2)}</td><td>${fmt(f.std, 2)}</td><td>${fmt(f.min, 2)}</td><td>${fmt(f.max, 2)}</td></tr>`).join('')
  const sections = [
    '<h1>factory-edge training report</h1>',
    `<p>Model <code>${esc(r.model.version)}</code> written to <code>${esc(r.model.path)}</code> on ${esc(r.createdAt)}, trained on <code>${esc(r.source)}</code>: ${r.rows} rows` +
      `${r.skippedRows > 0 ? `, ${r.skippedRows} bad rows skipped` : ''}${r.syntheticHumidity ? ', humidity synthesised' : ''}. ` +
      `${r.model.options.nEstimators} trees, contamination ${esc(String(r.model.options.contamination))}, seed ${r.model.options.seed}, threshold ${fmt(r.model.threshold, 4)}. ` +
      `Features ${fmt(r.timings.featuresMs, 0)} ms, training and scoring ${fmt(r.timings.trainMs, 0)} ms.</p>`,
    e === null
      ? '<p>The training data has no labels, so there are no ROC or precision-recall curves; the histogram shows all scores.</p>'
      : `<h2>Quality on the training rows</h2>${figuresTable([['This model', e], ['Original design (temperature, rpm, humidity)', r.originalDesign]])}` +
        `<div class="charts">${r.curves === null ? '' : curveSvg(`ROC (AUC ${fmt(e.auc)})`, 'false-positive rate', 'true-positive rate', r.curves.roc, true) + curveSvg(`Precision-recall (AP ${fmt(e.ap)})`, 'recall', 'precision', r.curves.pr, false)}</div>` +
        `<h2>Recall per failure mode at the threshold</h2>${modeTable(e)}<h2>Confusion matrix</h2>${confusionTable(e)}`,
    `<h2>Score distribution</h2>${histogramSvg(r.histogram, r.model.threshold)}`,
    `<h2>Features</h2><table><tr><th>Name</th><th>Meaning</th><th>Unit</th><th>Mean</th><th>Std</th><th>Min</th><th>Max</th></tr>${features}</table>`,
    r.skippedExamples.length > 0 ? `<h2>Skipped rows (first ${r.skippedExamples.length})</h2><ul>${r.skippedExamples.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>` : ''
  ]
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>factory-edge training report ${esc(r.model.version)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:780px;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th:first-child,td:first-child{text-align:left}
svg{font-size:10px;margin:4px}.title{font-size:12px;font-weight:bold}.axis{stroke:#444}.chance{stroke:#aaa;stroke-dasharray:4 3}
.curve{fill:none;stroke:#1f5fbf;stroke-width:2}.normal{fill:#1f5fbf;fill-opacity:.55}.failure{fill:#d62728;fill-opacity:.6}
.threshold{stroke:#000;stroke-width:1;stroke-dasharray:3 2}.label{font-size:11px}
</style></head><body>
${sections.join('\n')}
</body></html>
`
}
