/* global document */
// Small helpers shared by the views: escaping, numbers, times, state badges, element building.

export const STATE_LABELS = { normal: 'normal', anomalous: 'anomalous', sensor_fault: 'sensor fault', silent: 'silent', learning: 'learning', offline: 'offline' }

export function escapeHtml (text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

export function fixed (x, digits = 3) {
  return Number.isFinite(x) ? x.toFixed(digits) : '–'
}

export function localTime (ms) {
  return new Date(ms).toLocaleString()
}

export function stateBadge (state) {
  const label = STATE_LABELS[state] ?? state
  return `<span class="state ${escapeHtml(state)}" role="img" aria-label="state: ${escapeHtml(label)}">${escapeHtml(label)}</span>`
}

export function machineLink (id) {
  return `<a href="#/machine/${encodeURIComponent(id)}">${escapeHtml(id)}</a>`
}

/** An element from HTML text (one root). */
export function element (html) {
  const t = document.createElement('template')
  t.innerHTML = html.trim()
  return t.content.firstElementChild
}

/** One line of the alert log. */
export function alertItem (a) {
  const what = a.kind === 'sensor_fault'
    ? `sensor fault${a.signal !== undefined ? ` on ${escapeHtml(a.signal)}` : ''}${a.fault !== undefined ? ` (${escapeHtml(a.fault)})` : ''}`
    : 'process anomaly'
  const features = a.top.map(([name, , share]) => `${escapeHtml(name)} ${Math.round(share * 100)}%`).join(', ')
  return `<li><time datetime="${new Date(a.ts).toISOString()}">${escapeHtml(localTime(a.ts))}</time>
    <span class="what ${a.state}">${a.state}</span> ${escapeHtml(a.severity)} · ${machineLink(a.machineId)} · ${what}
    · score ${fixed(a.score)} / ${fixed(a.threshold)}${features !== '' ? `<br><span class="features">driven by ${features}</span>` : ''}</li>`
}
