import type { FeatureExtractor, MachineWindow, Telemetry } from '@factory-edge/shared'

/** Feature rows of readings in stream order, one window per machine, as the detector computes them. */
export function featureRows (readings: readonly Telemetry[], extractor: FeatureExtractor): Float64Array {
  const windows = new Map<string, MachineWindow>()
  const out = new Float64Array(readings.length * extractor.size)
  const row = new Float64Array(extractor.size)
  readings.forEach((r, i) => {
    let w = windows.get(r.machineId)
    if (w === undefined) windows.set(r.machineId, w = extractor.createWindow())
    extractor.push(w, r, r.ts, row)
    out.set(row, i * extractor.size)
  })
  return out
}
