/** A minimal Prometheus text-format (0.0.4) writer: enough for counters, gauges and one histogram. */
export class PrometheusText {
  private text = ''

  /** Starts a metric family. */
  family (name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.text += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`
    return this
  }

  sample (name: string, value: number, labels?: Record<string, string>): this {
    let l = ''
    if (labels !== undefined) {
      const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
      if (parts.length > 0) l = `{${parts.join(',')}}`
    }
    this.text += `${name}${l} ${formatValue(value)}\n`
    return this
  }

  /** A histogram from non-cumulative bucket counts (the last one is +Inf). */
  histogram (name: string, help: string, bounds: readonly number[], counts: ArrayLike<number>, sum: number): this {
    this.family(name, 'histogram', help)
    let cumulative = 0
    for (let i = 0; i < bounds.length; i++) {
      cumulative += counts[i]
      this.sample(`${name}_bucket`, cumulative, { le: String(bounds[i]) })
    }
    cumulative += counts[bounds.length]
    this.sample(`${name}_bucket`, cumulative, { le: '+Inf' })
    this.sample(`${name}_sum`, sum)
    this.sample(`${name}_count`, cumulative)
    return this
  }

  toString (): string {
    return this.text
  }
}

function formatValue (v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Infinity) return '+Inf'
  if (v === -Infinity) return '-Inf'
  return String(v)
}
