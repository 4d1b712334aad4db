import { collectDefaultMetrics, Registry } from 'prom-client'

/**
 * A prom-client Registry of its own (not prom-client's global one), so that two services in one process
 * (the `npm start` launcher) each serve their metrics, with prom-client's default process and Node.js
 * metrics (CPU, memory, event-loop lag, GC, file descriptors) unless `defaultMetrics` is false.
 * Services keep plain counters on their hot paths and register metrics whose `collect()` reads them at
 * scrape time, so that no prom-client call runs per message.
 */
export function createMetricsRegistry (options: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry()
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry })
  return registry
}
