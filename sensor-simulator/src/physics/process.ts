import type { ProductType } from '@factory-edge/shared/contract'
import type { Random } from '@factory-edge/shared/ml'
import {
  PRODUCT_MIX, RANDOM_FAILURE_PROBABILITY, TOOL_FAILURE_SHARE, TOOL_LIFE_MAX, TOOL_LIFE_MIN, WEAR_PER_CYCLE,
  inFailureRegion, RPM_TO_RAD_PER_S, type ProcessValues
} from './ai4i.js'

/*
 * Calibration. Air and process temperature are slow random walks in the published data (the step between
 * consecutive cycles has σ ≈ 0.07 K), so they are AR(1) processes here with the data's lag-1
 * autocorrelation and stationary spread. Rotational speed follows from torque and power: the paper says
 * "calculated from a power of 2860 W with normally distributed noise", but that sentence alone cannot give
 * the published speeds (2,860 W at 40 Nm is 683 rpm, the data's mean is 1,539 rpm); a least-squares fit on
 * the data gives power = 2,089 W + 104.8 W/Nm × torque with σ = 218 W, which reproduces both the speed
 * distribution and its −0.88 correlation with torque (see docs/simulator.md for the comparison).
 */
export const AIR_MEAN_K = 300
export const AIR_STD_K = 2
export const AIR_AUTOCORRELATION = 0.9994
export const DELTA_MEAN_K = 10
export const DELTA_STD_K = 1
export const DELTA_AUTOCORRELATION = 0.9975
export const TORQUE_MEAN_NM = 40
export const TORQUE_STD_NM = 10
/** Torque is never negative; the data's smallest value is 3.8 Nm. */
export const TORQUE_MIN_NM = 3
export const POWER_BASE_W = 2089
export const POWER_PER_NM_W = 104.8
export const POWER_NOISE_W = 218

const AIR_STEP_STD = AIR_STD_K * Math.sqrt(1 - AIR_AUTOCORRELATION ** 2)
const DELTA_STEP_STD = DELTA_STD_K * Math.sqrt(1 - DELTA_AUTOCORRELATION ** 2)
/**
 * A healthy plant changes tools before AI4I's tool-failure band (wear 200 – 240 min, where AI4I's tools
 * are replaced or fail): at a wear drawn between this and {@link TOOL_LIFE_MIN}, so that a healthy stream
 * never shows a tool in the band and every tool failure comes from an injection (docs/simulator.md).
 */
export const PREVENTIVE_TOOL_CHANGE_MIN = 180
/** In healthy-only mode, draws of speed and torque that fall in a failure region are redrawn at most this often. */
const MAX_REDRAWS = 20

/** What a process cycle reports besides its values. */
export const enum CycleEvent { None = 0, ToolFailure = 1, RandomFailure = 2 }

/**
 * The healthy AI4I 2020 generative process of one machine, one cycle per call to {@link step}.
 * With `healthyOnly`, draws that land in a failure region are redrawn and tools are replaced without
 * failing, so every failure comes from an explicit injection; otherwise the process fails as often as
 * AI4I's does (used to compare the generator with the published data).
 */
export class MachineProcess implements ProcessValues {
  airK: number
  processK = 0
  rpm = 0
  torque = 0
  toolWear = 0
  productType: ProductType = 'L'
  private deltaK: number
  private toolLife: number
  /** Wear at the start of the next cycle. */
  private nextWear: number

  constructor (private readonly rng: Random, private readonly healthyOnly: boolean) {
    this.airK = rng.normal(AIR_MEAN_K, AIR_STD_K)
    this.deltaK = rng.normal(DELTA_MEAN_K, DELTA_STD_K)
    this.toolLife = this.drawToolLife()
    // A machine joins the stream mid-tool-life, as in a running plant.
    this.nextWear = Math.floor(rng.uniform(0, TOOL_LIFE_MIN))
  }

  /** Advances one process cycle and returns the failure event it ended with, if any. */
  step (): CycleEvent {
    const rng = this.rng
    this.toolWear = this.nextWear
    this.airK = AIR_MEAN_K + AIR_AUTOCORRELATION * (this.airK - AIR_MEAN_K) + rng.normal(0, AIR_STEP_STD)
    this.deltaK = DELTA_MEAN_K + DELTA_AUTOCORRELATION * (this.deltaK - DELTA_MEAN_K) + rng.normal(0, DELTA_STEP_STD)
    this.processK = this.airK + this.deltaK
    this.productType = drawProductType(rng.next())
    this.drawDrive()
    if (this.healthyOnly) {
      for (let i = 0; i < MAX_REDRAWS && inFailureRegion(this); i++) this.drawDrive()
    }
    let event = CycleEvent.None
    // The reading shows the wear at the start of the cycle; the cycle then adds its share, and a tool
    // that reached its life is replaced before the next cycle (failing in some of the cases).
    this.nextWear = this.toolWear + WEAR_PER_CYCLE[this.productType]
    if (this.nextWear >= this.toolLife) {
      this.replaceToolNow()
      if (!this.healthyOnly && rng.next() < TOOL_FAILURE_SHARE) event = CycleEvent.ToolFailure
    }
    if (!this.healthyOnly && event === CycleEvent.None && rng.next() < RANDOM_FAILURE_PROBABILITY) event = CycleEvent.RandomFailure
    return event
  }

  /** Replaces the tool: the next cycle starts with a new one. */
  replaceToolNow (): void {
    this.nextWear = 0
    this.toolLife = this.drawToolLife()
  }

  /** The wear at which the current tool is replaced: preventively in a healthy plant, AI4I's band otherwise. */
  private drawToolLife (): number {
    return this.healthyOnly ? this.rng.uniform(PREVENTIVE_TOOL_CHANGE_MIN, TOOL_LIFE_MIN) : this.rng.uniform(TOOL_LIFE_MIN, TOOL_LIFE_MAX)
  }

  private drawDrive (): void {
    const rng = this.rng
    let torque = rng.normal(TORQUE_MEAN_NM, TORQUE_STD_NM)
    while (torque < TORQUE_MIN_NM) torque = rng.normal(TORQUE_MEAN_NM, TORQUE_STD_NM)
    const power = POWER_BASE_W + POWER_PER_NM_W * torque + rng.normal(0, POWER_NOISE_W)
    this.torque = torque
    this.rpm = power / (torque * RPM_TO_RAD_PER_S)
  }
}

/** Maps a uniform draw to a product type with the AI4I mix. */
export function drawProductType (u: number): ProductType {
  if (u < PRODUCT_MIX.L) return 'L'
  return u < PRODUCT_MIX.L + PRODUCT_MIX.M ? 'M' : 'H'
}
