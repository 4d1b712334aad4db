// The fleet: system panel, the grid of machines (filter, sort, sparklines) and the alert log. Rows are
// kept and updated in place; they are reordered only when the order can have changed.
import { STATE_LABELS, alertItem, element, escapeHtml, fixed, machineLink, stateBadge } from './format.js'

const SPARK_POINTS = 40
const MAX_ALERTS = 200
const SEVERITY_ORDER = { anomalous: 0, sensor_fault: 1, offline: 2, silent: 3, learning: 4, normal: 5 }

export class FleetView {
  constructor (snapshot) {
    this.machines = new Map()
    this.alertKeys = new Set()
    this.system = element('<section class="wide" aria-labelledby="system-h"><h2 id="system-h">System</h2><dl class="system"></dl></section>')
    this.grid = element(`<section aria-labelledby="machines-h">
      <h2 id="machines-h">Machines</h2>
      <div class="controls">
        <label>Filter by id <input type="search" name="filter" autocomplete="off"></label>
        <label>State <select name="state"><option value="">all</option>${Object.entries(STATE_LABELS).map(([v, l]) => `<option value="${v}">${l}</option>`).join('')}</select></label>
        <label>Sort by <select name="sort"><option value="state">state, then id</option><option value="score">score over threshold, highest first</option><option value="id">id</option></select></label>
      </div>
      <p class="counts" aria-live="polite"></p>
      <div class="scroll"><table><caption class="muted">Alert score (what the alert rule compares: with calibration, the smoothed score against the machine's own normal) and the machine's threshold; sparkline of recent alert scores, threshold dashed</caption>
        <thead><tr><th scope="col">Machine</th><th scope="col">State</th><th scope="col">Alert score / threshold</th><th scope="col">Recent alert scores</th></tr></thead>
        <tbody></tbody></table></div>
    </section>`)
    this.log = element('<section aria-labelledby="alerts-h"><h2 id="alerts-h">Alerts, newest first</h2><ol class="alerts"></ol></section>')
    this.elements = [this.system, this.grid, this.log]
    this.tbody = this.grid.querySelector('tbody')
    this.counts = this.grid.querySelector('.counts')
    this.controls = {
      filter: this.grid.querySelector('[name=filter]'),
      state: this.grid.querySelector('[name=state]'),
      sort: this.grid.querySelector('[name=sort]')
    }
    for (const c of Object.values(this.controls)) c.addEventListener('input', () => this.layout())
    this.load(snapshot)
  }

  /** Replaces everything with a first view. */
  load (s) {
    this.states = s.states
    this.machines.clear()
    const html = s.machines.map(([id, code, score, threshold, learned, spark]) => {
      const m = { id, spark: spark ?? [] }
      setValues(m, s.states[code], score, threshold, learned)
      this.machines.set(id, m)
      return rowHtml(m)
    }).join('')
    this.tbody.innerHTML = html
    for (const row of this.tbody.children) this.machines.get(row.dataset.id).row = row
    this.alertKeys.clear()
    this.log.querySelector('ol').innerHTML = s.alerts.map((a) => { this.alertKeys.add(alertKey(a)); return alertItem(a) }).join('')
    this.showSystem(s.system)
    this.layout()
  }

  /** Applies one frame of the event stream. */
  update (frame) {
    this.showSystem(frame.sys)
    let reorder = this.controls.sort.value === 'score'
    for (const [id, code, score, threshold, learned] of frame.m) {
      let m = this.machines.get(id)
      if (m === undefined) {
        m = { id, spark: [] }
        setValues(m, this.states[code], score, threshold, learned)
        m.row = element(`<table><tbody>${rowHtml(m)}</tbody></table>`).querySelector('tr')
        this.machines.set(id, m)
        reorder = true
      }
      if (this.states[code] !== m.state) reorder = true
      setValues(m, this.states[code], score, threshold, learned)
      m.spark.push(score)
      if (m.spark.length > SPARK_POINTS) m.spark.shift()
      updateRow(m)
    }
    const list = this.log.querySelector('ol')
    for (const a of frame.ev) {
      const key = alertKey(a)
      if (this.alertKeys.has(key)) continue
      this.alertKeys.add(key)
      list.prepend(element(alertItem(a)))
    }
    while (list.children.length > MAX_ALERTS) list.lastElementChild.remove()
    if (reorder) this.layout()
  }

  /** Orders and filters the rows as the controls say. */
  layout () {
    const text = this.controls.filter.value.trim().toLowerCase()
    const state = this.controls.state.value
    const sort = this.controls.sort.value
    const shown = [...this.machines.values()].filter((m) => (text === '' || m.id.toLowerCase().includes(text)) && (state === '' || m.state === state))
    shown.sort(sort === 'score'
      ? (a, b) => overBy(b) - overBy(a) || a.id.localeCompare(b.id)
      : sort === 'id'
        ? (a, b) => a.id.localeCompare(b.id, undefined, { numeric: true })
        : (a, b) => (SEVERITY_ORDER[a.state] ?? 9) - (SEVERITY_ORDER[b.state] ?? 9) || a.id.localeCompare(b.id, undefined, { numeric: true }))
    const rows = shown.map((m) => m.row)
    const unchanged = rows.length === this.tbody.children.length && rows.every((r, i) => this.tbody.children[i] === r)
    if (!unchanged) this.tbody.replaceChildren(...rows)
    const byState = {}
    for (const m of this.machines.values()) byState[m.state] = (byState[m.state] ?? 0) + 1
    const parts = Object.entries(byState).sort(([a], [b]) => (SEVERITY_ORDER[a] ?? 9) - (SEVERITY_ORDER[b] ?? 9)).map(([s, n]) => `${n} ${STATE_LABELS[s] ?? s}`)
    const summary = `${this.machines.size} machines: ${parts.join(', ')}${shown.length !== this.machines.size ? ` (${shown.length} shown)` : ''}`
    if (this.counts.textContent !== summary) this.counts.textContent = summary
  }

  showSystem (sys) {
    const rejected = Object.entries(sys.rejectedByReason).map(([r, n]) => `${n} ${r}`).join(', ') || 'none'
    const influx = sys.influx.state === 'off' ? 'off' : `${sys.influx.state}, ${sys.influx.spooled} spooled`
    const items = [
      ['Readings/s', sys.readingsPerS],
      ['Machines', sys.machines],
      ['Scored', sys.scored],
      ['Rejected', rejected],
      ['Alerts raised / cleared', `${sys.raised} / ${sys.cleared}`],
      ['Broker', sys.broker.connected ? 'connected' : 'disconnected'],
      ['InfluxDB', influx],
      ['Model', `${sys.model.version} (threshold ${fixed(sys.model.threshold)})`]
    ]
    this.system.querySelector('dl').innerHTML = items.map(([k, v]) => `<div><dt>${k}</dt><dd>${escapeHtml(v)}</dd></div>`).join('')
  }
}

function alertKey (a) {
  return `${a.machineId}|${a.ts}|${a.state}|${a.kind}`
}

/** A row's values from the wire: scores and threshold in thousandths or null, learning progress in percent or null. */
function setValues (m, state, score, threshold, learned) {
  m.state = state
  m.score = score === null ? null : score / 1000
  m.threshold = threshold === null ? null : threshold / 1000
  m.learned = learned ?? null
}

/** How far a machine's alert score is over its threshold, for sorting; machines without one last. */
function overBy (m) {
  return m.score === null || m.threshold === null ? -Infinity : m.score - m.threshold
}

function scoreText (m) {
  if (m.learned !== null && m.learned !== undefined) return `learning, ${m.learned}% done`
  if (m.score === null) return m.threshold === null ? '–' : `warming up / ${fixed(m.threshold)}`
  return `${fixed(m.score)} / ${fixed(m.threshold)}`
}

function rowHtml (m) {
  return `<tr data-id="${escapeHtml(m.id)}"><th scope="row">${machineLink(m.id)}</th><td>${stateBadge(m.state)}</td>` +
    `<td class="num${overBy(m) > 0 ? ' over' : ''}">${scoreText(m)}</td>` +
    `<td><svg class="spark" viewBox="0 0 120 22" preserveAspectRatio="none" aria-hidden="true">${sparkShapes(m.spark, m.threshold)}</svg></td></tr>`
}

function updateRow (m) {
  const cells = m.row.children
  if (cells[1].firstElementChild.classList[1] !== m.state) cells[1].innerHTML = stateBadge(m.state)
  cells[2].textContent = scoreText(m)
  cells[2].classList.toggle('over', overBy(m) > 0)
  cells[3].firstElementChild.innerHTML = sparkShapes(m.spark, m.threshold)
}

/**
 * The threshold as a dashed line and the alert scores (thousandths; null breaks the line) as polylines,
 * on a scale from 0 to 1.5 × threshold or the highest score.
 */
function sparkShapes (spark, threshold) {
  const top = Math.max((threshold ?? 0) * 1500, ...spark.filter((v) => v !== null)) || 1
  const y = (v) => (22 - (v / top) * 20).toFixed(1)
  // Newest at the right edge, however few points there are yet.
  const offset = SPARK_POINTS - spark.length
  const lines = []
  let points = []
  spark.forEach((v, i) => {
    if (v !== null) points.push(`${((offset + i) * 120 / (SPARK_POINTS - 1)).toFixed(1)},${y(v)}`)
    else if (points.length > 0) { lines.push(points); points = [] }
  })
  if (points.length > 0) lines.push(points)
  const line = threshold === null ? '' : `<line x1="0" x2="120" y1="${y(threshold * 1000)}" y2="${y(threshold * 1000)}"></line>`
  return line + lines.map((p) => `<polyline points="${p.join(' ')}"></polyline>`).join('')
}
