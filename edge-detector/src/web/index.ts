import type { EventEmitter } from 'node:events'
import { DETECTOR_DEFAULTS } from '../defaults.js'
import type { DetectorPipeline } from '../pipeline/pipeline.js'
import type { WebViewSettings } from '../service/options.js'
import type { DetectorEvents } from '../service/types.js'
import { AlertLog } from './alert-log.js'
import { FleetFeed, type SystemView } from './fleet-feed.js'
import { MachineHistory, sampleBytes } from './machine-history.js'
import { generateToken, isLoopback, WebAuth } from './web-auth.js'
import { WebView } from './web-view.js'

export { MachineHistory } from './machine-history.js'
export { WebView } from './web-view.js'
export { machineStatusHandler } from './machine-status.js'

const D = DETECTOR_DEFAULTS.ui

/**
 * The history the pipeline feeds, for `capacity` machines: historySamples each, fewer when the capacity
 * would take more than historyBytes in all, spaced to cover historySpanMs (in whole seconds).
 */
export function createMachineHistory (capacity: number, signals: number): MachineHistory {
  const samples = Math.max(D.minHistorySamples, Math.min(D.historySamples, Math.floor(D.historyBytes / (capacity * sampleBytes(signals)))))
  const sampleEveryMs = Math.max(D.minSampleEveryMs, Math.ceil(D.historySpanMs / samples / 1000) * 1000)
  return new MachineHistory(capacity, { samples, sampleEveryMs, silentMs: D.silentMs }, signals)
}

export interface WebViewParts {
  pipeline: DetectorPipeline
  history: MachineHistory
  events: EventEmitter<DetectorEvents>
  system: () => SystemView
  settings: WebViewSettings
  /** The address the HTTP server listens on: beyond loopback, a token is required. */
  host: string
}

/** The web view and the token it asks for (undefined on loopback without one); `generated` when made up here. */
export function createWebView (parts: WebViewParts): { view: WebView, token: string | undefined, generated: boolean } {
  const { pipeline, history, settings } = parts
  history.attach(pipeline)
  const alerts = new AlertLog(D.alertLog, pipeline.machines.capacity)
  parts.events.on('anomaly', (e) => alerts.anomaly(e))
  parts.events.on('rejected', (m) => alerts.rejected(m))
  const feed = new FleetFeed(pipeline, history, alerts, parts.system, {
    streamBytesPerS: settings.streamBytesPerS ?? D.streamBytesPerS,
    tickMs: D.tickMs,
    sparkSamples: D.sparkSamples
  })
  const generated = settings.token === undefined && !isLoopback(parts.host)
  const token = generated ? generateToken() : settings.token
  const view = new WebView({ feed, auth: new WebAuth(token), maxClients: D.maxClients, clockMs: D.clockMs })
  return { view, token, generated }
}
