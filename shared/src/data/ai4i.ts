/** Constants of the AI4I 2020 predictive-maintenance data set that readers and the simulator share. */

/** 0 °C in Kelvin: AI4I gives temperatures in K, telemetry in °C. */
export const KELVIN_OFFSET = 273.15

/** Machine failure modes of AI4I 2020, in the order of their bits in a failure-mode mask. */
export const FAILURE_MODES = ['TWF', 'HDF', 'PWF', 'OSF', 'RNF'] as const
export type FailureMode = typeof FAILURE_MODES[number]

/** Long names, as in Kaggle's `Failure Type` column and in reports. */
export const FAILURE_MODE_NAMES: Record<FailureMode, string> = {
  TWF: 'Tool wear failure',
  HDF: 'Heat dissipation failure',
  PWF: 'Power failure',
  OSF: 'Overstrain failure',
  RNF: 'Random failure'
}

/** True when `mode` is an AI4I failure mode. */
export function isFailureMode (mode: string): mode is FailureMode {
  return (FAILURE_MODES as readonly string[]).includes(mode)
}

/** The failure modes whose bits are set in `mask`. */
export function failureModesOf (mask: number): FailureMode[] {
  return FAILURE_MODES.filter((_, i) => (mask & (1 << i)) !== 0)
}
