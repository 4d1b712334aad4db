import { countModes, FAILURE_MODES, type FailureMode } from './dataset.js'

/** A point of a curve: ROC (x = false-positive rate, y = true-positive rate) or PR (x = recall, y = precision). */
export interface CurvePoint { x: number, y: number }

export interface Confusion { tp: number, fp: number, tn: number, fn: number }

export interface ModeRecall { mode: FailureMode, rows: number, detected: number, recall: number }

/** How well scores separate failures from normal rows, and how the model's threshold does. */
export interface Evaluation {
  rows: number
  failures: number
  threshold: number
  auc: number
  ap: number
  precision: number
  recall: number
  f1: number
  /** Share of rows flagged. */
  flagged: number
  confusion: Confusion
  perMode: ModeRecall[]
}

/** A row is flagged as anomalous when its score is above the threshold (scikit-learn's convention). */
export function isFlagged (score: number, threshold: number): boolean {
  return score > threshold
}

/** Indices of `scores`, highest score first. */
function rankDescending (scores: Float64Array): Uint32Array {
  const order = new Uint32Array(scores.length)
  for (let i = 0; i < order.length; i++) order[i] = i
  return order.sort((a, b) => scores[b] - scores[a])
}

/**
 * Walks the thresholds from the highest score down, one step per distinct score (ties move together),
 * calling `visit` with the cumulative true and false positives.
 */
function sweep (scores: Float64Array, labels: Uint8Array, visit: (tp: number, fp: number) => void): void {
  const order = rankDescending(scores)
  let tp = 0
  let fp = 0
  for (let i = 0; i < order.length; i++) {
    if (labels[order[i]] === 1) tp++
    else fp++
    if (i + 1 === order.length || scores[order[i + 1]] !== scores[order[i]]) visit(tp, fp)
  }
}

/** The ROC curve, from (0, 0) to (1, 1). */
export function rocCurve (scores: Float64Array, labels: Uint8Array): CurvePoint[] {
  const { pos, neg } = classCounts(labels)
  const points: CurvePoint[] = [{ x: 0, y: 0 }]
  sweep(scores, labels, (tp, fp) => points.push({ x: neg > 0 ? fp / neg : 0, y: pos > 0 ? tp / pos : 0 }))
  return points
}

/** The precision-recall curve, one point per distinct threshold, recall increasing. */
export function prCurve (scores: Float64Array, labels: Uint8Array): CurvePoint[] {
  const { pos } = classCounts(labels)
  const points: CurvePoint[] = []
  sweep(scores, labels, (tp, fp) => points.push({ x: pos > 0 ? tp / pos : 0, y: tp / (tp + fp) }))
  return points
}

/** Area under the ROC curve (trapezoidal, so ties count one half), as scikit-learn's roc_auc_score. */
export function rocAuc (scores: Float64Array, labels: Uint8Array): number {
  const roc = rocCurve(scores, labels)
  let area = 0
  for (let i = 1; i < roc.length; i++) area += (roc[i].x - roc[i - 1].x) * (roc[i].y + roc[i - 1].y) / 2
  return area
}

/** Average precision: Σ (R_n − R_{n−1}) · P_n over thresholds, as scikit-learn's average_precision_score. */
export function averagePrecision (scores: Float64Array, labels: Uint8Array): number {
  let ap = 0
  let previousRecall = 0
  for (const { x, y } of prCurve(scores, labels)) {
    ap += (x - previousRecall) * y
    previousRecall = x
  }
  return ap
}

function classCounts (labels: Uint8Array): { pos: number, neg: number } {
  let pos = 0
  for (const l of labels) pos += l
  return { pos, neg: labels.length - pos }
}

/** The confusion matrix at a threshold. */
export function confusion (scores: Float64Array, labels: Uint8Array, threshold: number): Confusion {
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 }
  for (let i = 0; i < scores.length; i++) {
    const flagged = isFlagged(scores[i], threshold)
    if (labels[i] === 1) flagged ? c.tp++ : c.fn++
    else flagged ? c.fp++ : c.tn++
  }
  return c
}

/** Recall of each failure mode at a threshold (a row may have several modes). */
export function recallPerMode (scores: Float64Array, modes: Uint8Array, threshold: number): ModeRecall[] {
  const totals = countModes(modes)
  const detected = Object.fromEntries(FAILURE_MODES.map((m) => [m, 0])) as Record<FailureMode, number>
  for (let i = 0; i < scores.length; i++) {
    if (modes[i] === 0 || !isFlagged(scores[i], threshold)) continue
    for (let m = 0; m < FAILURE_MODES.length; m++) if ((modes[i] & (1 << m)) !== 0) detected[FAILURE_MODES[m]]++
  }
  return FAILURE_MODES.map((mode) => ({ mode, rows: totals[mode], detected: detected[mode], recall: totals[mode] > 0 ? detected[mode] / totals[mode] : 0 }))
}

/** Every figure of an evaluation, from scores, labels, failure modes and the model's threshold. */
export function evaluateScores (scores: Float64Array, labels: Uint8Array, modes: Uint8Array, threshold: number): Evaluation {
  const c = confusion(scores, labels, threshold)
  const precision = c.tp + c.fp > 0 ? c.tp / (c.tp + c.fp) : 0
  const recall = c.tp + c.fn > 0 ? c.tp / (c.tp + c.fn) : 0
  return {
    rows: scores.length,
    failures: c.tp + c.fn,
    threshold,
    auc: rocAuc(scores, labels),
    ap: averagePrecision(scores, labels),
    precision,
    recall,
    f1: precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0,
    flagged: scores.length > 0 ? (c.tp + c.fp) / scores.length : 0,
    confusion: c,
    perMode: recallPerMode(scores, modes, threshold)
  }
}
