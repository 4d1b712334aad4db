/**
 * The AI4I 2020 predictive-maintenance data set as a process: its constants and its failure rules
 * (Matzka, "Explainable Artificial Intelligence for Predictive Maintenance Applications", 2020).
 */
import { type ProductType } from '@factory-edge/shared/contract'
import { RPM_TO_RAD_PER_S } from '@factory-edge/shared/ml'
import type { FailureMode } from '@factory-edge/shared/data'

export { FAILURE_MODES, KELVIN_OFFSET, isFailureMode, type FailureMode } from '@factory-edge/shared/data'
export { RPM_TO_RAD_PER_S } from '@factory-edge/shared/ml'

/** Share of products per quality variant, as in the published data (6,000 L, 2,997 M, 1,003 H of 10,000). */
export const PRODUCT_MIX: Readonly<Record<ProductType, number>> = { L: 0.6, M: 0.3, H: 0.1 }

/** Minutes of tool wear each process cycle adds, per quality variant. */
export const WEAR_PER_CYCLE: Readonly<Record<ProductType, number>> = { L: 2, M: 3, H: 5 }

/** Overstrain limit on tool wear × torque (min·Nm), per quality variant. */
export const OVERSTRAIN_LIMIT: Readonly<Record<ProductType, number>> = { L: 11000, M: 12000, H: 13000 }

/** Heat dissipation fails when process − air < 8.6 K while the spindle turns slower than 1,380 rpm. */
export const HDF_MAX_DELTA_K = 8.6
export const HDF_MAX_RPM = 1380
/** Power failure outside 3,500 – 9,000 W. */
export const PWF_MIN_POWER_W = 3500
export const PWF_MAX_POWER_W = 9000
/** The tool is replaced (and in about 51 of 120 cases fails) at a random wear between 200 and 240 min. */
export const TOOL_LIFE_MIN = 200
export const TOOL_LIFE_MAX = 240
export const TOOL_FAILURE_SHARE = 51 / 120
/** Random failures, independent of the process. */
export const RANDOM_FAILURE_PROBABILITY = 0.001

/** How often each mode occurs in the published data (failures per 10,000 cycles). */
export const AI4I_FAILURE_COUNTS: Readonly<Record<FailureMode, number>> = { TWF: 46, HDF: 115, PWF: 95, OSF: 98, RNF: 19 }

/** One process cycle in SI units, as AI4I records it. */
export interface ProcessValues {
  airK: number
  processK: number
  rpm: number
  torque: number
  toolWear: number
  productType: ProductType
}

/** Mechanical power in W. */
export function powerW (rpm: number, torque: number): number {
  return torque * rpm * RPM_TO_RAD_PER_S
}

/** True when the cycle lies in the heat-dissipation failure region. */
export function isHeatDissipationFailure (v: ProcessValues): boolean {
  return v.processK - v.airK < HDF_MAX_DELTA_K && v.rpm < HDF_MAX_RPM
}

/** True when the cycle lies in the power failure region. */
export function isPowerFailure (v: ProcessValues): boolean {
  const p = powerW(v.rpm, v.torque)
  return p < PWF_MIN_POWER_W || p > PWF_MAX_POWER_W
}

/** True when the cycle lies in the overstrain failure region of its product type. */
export function isOverstrainFailure (v: ProcessValues): boolean {
  return v.toolWear * v.torque > OVERSTRAIN_LIMIT[v.productType]
}

/** True when the cycle lies in any failure region that depends on the readings (HDF, PWF, OSF). */
export function inFailureRegion (v: ProcessValues): boolean {
  return isHeatDissipationFailure(v) || isPowerFailure(v) || isOverstrainFailure(v)
}

/** The reading-dependent AI4I failure modes a cycle satisfies (TWF and RNF depend on events, not readings). */
export function failureRegions (v: ProcessValues): FailureMode[] {
  const modes: FailureMode[] = []
  if (isHeatDissipationFailure(v)) modes.push('HDF')
  if (isPowerFailure(v)) modes.push('PWF')
  if (isOverstrainFailure(v)) modes.push('OSF')
  return modes
}
