import { Counter, Gauge, type Registry } from 'prom-client'

/** A value read at scrape time: one number, or one number per label set. */
export type Reading = number | ReadonlyArray<readonly [labels: Record<string, string>, value: number]>

/**
 * Counters and gauges whose values a service keeps as plain numbers on its hot path and that prom-client
 * reads only when /metrics is scraped, so that a message costs no registry call.
 */
export function collectedCounter (registry: Registry, name: string, help: string, read: () => Reading, labelNames: readonly string[] = []): void {
  // eslint-disable-next-line no-new -- registering is the point: prom-client keeps the metric in the registry
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect () {
      this.reset()
      const value = read()
      if (typeof value === 'number') this.inc(value)
      else for (const [labels, n] of value) this.labels(labels).inc(n)
    }
  })
}

export function collectedGauge (registry: Registry, name: string, help: string, read: () => Reading, labelNames: readonly string[] = []): void {
  // eslint-disable-next-line no-new -- as above
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect () {
      const value = read()
      if (typeof value === 'number') this.set(value)
      else {
        this.reset()
        for (const [labels, n] of value) this.labels(labels).set(n)
      }
    }
  })
}

/** Non-cumulative bucket counts (the last one is +Inf) and their sum, as a service records them. */
export interface BucketCounts {
  counts: ArrayLike<number>
  sum: number
}

/**
 * A histogram recorded by the service in its own typed array (one increment per observation) and handed
 * to prom-client as a custom metric at scrape time; prom-client's Histogram would hash labels per
 * observation on the hot path.
 */
export function collectedHistogram (registry: Registry, name: string, help: string, bounds: readonly number[], read: () => BucketCounts): void {
  registry.registerMetric({
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    collect () {},
    get: async () => {
      const { counts, sum } = read()
      const values: Array<{ metricName: string, labels: Record<string, string | number>, value: number }> = []
      let cumulative = 0
      for (let i = 0; i < bounds.length; i++) {
        cumulative += counts[i]
        values.push({ metricName: `${name}_bucket`, labels: { le: bounds[i] }, value: cumulative })
      }
      cumulative += counts[bounds.length]
      values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: cumulative })
      values.push({ metricName: `${name}_sum`, labels: {}, value: sum })
      values.push({ metricName: `${name}_count`, labels: {}, value: cumulative })
      return { name, help, type: 'histogram', aggregator: 'sum', collect () {}, values }
    }
  } as unknown as Parameters<Registry['registerMetric']>[0])
}
