// One machine: its score over time against the threshold with the alert periods shaded, its signals,
// the features behind its last event, its model and its rejected payloads. Refetched every few seconds
// (the history is bounded, so each refresh is small).
import UPlot from './vendor/uPlot.esm.js'
import { alertItem, element, escapeHtml, fixed, localTime, stateBadge } from './format.js'

const REFRESH_MS = 2000
const SHADE = { 1: 'rgba(155, 28, 28, 0.18)', 2: 'rgba(122, 74, 0, 0.18)' }
const LINE = { stroke: '#234', width: 1.5 }
const SCORE_SERIES = [
  { label: 'alert score', ...LINE },
  { label: 'model score', stroke: '#8a8a8a', width: 1 },
  { label: 'threshold', stroke: '#9b1c1c', dash: [6, 4], width: 1 }
]

export class MachineView {
  constructor (id) {
    this.id = id
    this.charts = new Map()
    this.root = element(`<section class="wide" aria-labelledby="machine-h">
      <p><a href="#/">← all machines</a></p>
      <h2 id="machine-h">${escapeHtml(id)} <span class="now"></span></h2>
      <p class="summary"></p>
      <div class="charts"></div>
    </section>`)
    this.details = element(`<section class="wide" aria-label="Details">
      <div class="charts"><div><h3>Last event</h3><div class="event muted">none yet</div></div>
      <div><h3>Model</h3><dl class="model system"></dl><h3>Rejected payloads</h3><div class="rejected"></div></div></div>
    </section>`)
    this.elements = [this.root, this.details]
    this.refresh()
    this.timer = setInterval(() => this.refresh(), REFRESH_MS)
  }

  close () {
    clearInterval(this.timer)
    for (const c of this.charts.values()) c.destroy()
  }

  async refresh () {
    const res = await fetch(`api/machine?id=${encodeURIComponent(this.id)}`)
    if (res.status === 404) {
      this.root.querySelector('.summary').textContent = 'This machine is not tracked (never seen, or forgotten to make room for others).'
      return
    }
    if (!res.ok) return
    this.show(await res.json())
  }

  show (d) {
    this.root.querySelector('.now').innerHTML = stateBadge(d.state)
    const cal = d.calibration !== undefined ? ` (calibrated: smoothed score ${fixed(d.calibration.smoothedScore)} against its own normal ${fixed(d.calibration.baseline)} + margin ${fixed(d.calibration.margin)})` : ''
    this.root.querySelector('.summary').textContent = d.learning !== undefined && d.learning !== null
      ? `Learning its own normal (profile ${d.profile}): ${d.learning.readings}${d.learning.of > 0 ? ` of ${d.learning.of}` : ''} readings, ${Math.round(d.learning.progress * 100)}% done.`
      : `Alert score ${d.alertScore === null ? 'warming up' : fixed(d.alertScore)}${cal}, threshold ${fixed(d.threshold)}; model score ${fixed(d.score)}; profile ${d.profile}.`
    const x = d.history.ts.map((t) => t / 1000)
    this.chart('score', 'Alert score (dark; the model\'s score grey), threshold dashed, alerts shaded', x, [d.history.alertScore, d.history.score, x.map(() => d.threshold ?? null)], d.history.state, SCORE_SERIES)
    for (const [name, values] of Object.entries(d.history.signals)) {
      this.chart(name, `${name} (${d.units[name] ?? ''})`, x, [values], d.history.state, [{ label: name, ...LINE }])
    }
    this.showEvent(d.lastEvent)
    const m = d.model
    this.details.querySelector('.model').innerHTML = (m === undefined || m === null
      ? [['Profile', d.profile], ['Model', 'none yet: learning']]
      : [
          ['Version', m.version], ['Profile', `${m.profile} (${m.kind === 'learned' ? 'its own baseline' : 'shared model'})`],
          ['Learned', localTime(Date.parse(m.createdAt))], ['From', `${m.training.rows} rows of ${m.training.source}`],
          ['Window', `${m.window} readings`], ['Features', m.features.join(', ')]
        ]
    ).map(([k, v]) => `<div><dt>${k}</dt><dd>${escapeHtml(v)}</dd></div>`).join('')
    const rejected = Object.entries(d.rejected)
    this.details.querySelector('.rejected').innerHTML = rejected.length === 0
      ? '<p class="muted">none</p>'
      : `<table><thead><tr><th scope="col">Reason</th><th scope="col">Payloads</th></tr></thead><tbody>${rejected.map(([r, n]) => `<tr><td>${escapeHtml(r)}</td><td class="num">${n}</td></tr>`).join('')}</tbody></table>`
  }

  showEvent (e) {
    const box = this.details.querySelector('.event')
    if (e === undefined || e === null) return
    const top = e.features.slice(0, 3).map((f) => [f.name, f.value, f.contribution])
    const rows = e.features.map((f) => `<tr><td>${escapeHtml(f.name)}</td><td class="num">${fixed(f.value, 2)} ${escapeHtml(f.unit)}</td>` +
      `<td class="num">${Math.round(f.contribution * 100)}%</td><td><span class="bar" style="width:${Math.round(f.contribution * 120)}px"></span></td></tr>`).join('')
    box.classList.remove('muted')
    box.innerHTML = `<ol class="alerts">${alertItem({ ...e, top })}</ol>` +
      `<table><caption class="muted">Feature contributions</caption><thead><tr><th scope="col">Feature</th><th scope="col">Value</th><th scope="col">Share</th><th scope="col"><span class="muted">bar</span></th></tr></thead><tbody>${rows}</tbody></table>`
  }

  /** Creates or updates one uPlot chart of the `ys` as `series` say; `states` shades the alert (1) and sensor-fault (2) periods. */
  chart (key, title, x, ys, states, series) {
    const data = [x, ...ys]
    const existing = this.charts.get(key)
    if (existing !== undefined) {
      existing.states = states
      existing.setData(data)
      return
    }
    const box = element(`<figure class="chart" role="group" aria-label="${escapeHtml(title)}"><h3>${escapeHtml(title)}</h3></figure>`)
    this.root.querySelector('.charts').append(box)
    const chart = new UPlot({
      width: 340,
      height: 150,
      legend: { show: false },
      series: [{}, ...series],
      hooks: { drawClear: [(u) => shade(u, chart.states)] }
    }, data, box)
    chart.states = states
    chart.root.querySelector('canvas')?.setAttribute('aria-hidden', 'true')
    this.charts.set(key, chart)
  }
}

/** Shades the spans of samples in alert or sensor fault behind the lines. */
function shade (u, states) {
  if (states === undefined) return
  const xs = u.data[0]
  const ctx = u.ctx
  ctx.save()
  for (let i = 0; i < xs.length; i++) {
    const fill = SHADE[states[i]]
    if (fill === undefined) continue
    let j = i
    while (j + 1 < xs.length && states[j + 1] === states[i]) j++
    const from = u.valToPos(xs[i], 'x', true)
    const to = u.valToPos(xs[Math.min(j + 1, xs.length - 1)], 'x', true)
    ctx.fillStyle = fill
    ctx.fillRect(from, u.bbox.top, Math.max(2, to - from), u.bbox.height)
    i = j
  }
  ctx.restore()
}
