import { generateTelemetry } from '@factory-edge/sensor-simulator'
import type { TelemetryGenerator } from '@factory-edge/edge-detector/training'

/** Machines the simulated training readings are spread over. */
const TRAINING_MACHINES = 10

/**
 * Readings of the sensor simulator's healthy machines, the same physics the live stream follows: what
 * the first model learns from when it is trained on simulated data.
 */
export const simulatedReadings: TelemetryGenerator = (rows, seed) =>
  generateTelemetry({ machines: TRAINING_MACHINES, readingsPerMachine: Math.ceil(rows / TRAINING_MACHINES), seed })
