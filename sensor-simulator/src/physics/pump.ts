/**
 * A centrifugal pump on a variable-speed drive, feeding a pipe system: the hydraulics of the pump curve
 * and the system curve, the drive's current, the bearing's vibration and temperature. Quantities in
 * m³/h, m of head, bar (gauge), kW, A, rpm, mm/s RMS and °C.
 *
 * Affinity laws (Gülich, Centrifugal Pumps, 3rd ed., §3.4): at speed ratio s the pump curve scales as
 * Q ~ s, H ~ s², P ~ s³. The operating point is where the pump curve H = H₀s² − kQ² meets the system
 * curve H = H_static + cQ²; with a static head the flow falls a little faster than the speed, as in
 * real plants.
 */
import type { Random } from '@factory-edge/shared/ml'

export const NOMINAL_RPM = 2960
/** Head at zero flow and nominal speed. */
export const SHUTOFF_HEAD_M = 60
/** Steepness of the pump curve, m per (m³/h)². */
export const CURVE_K = 0.001
/** Flow of best efficiency at nominal speed. */
export const BEP_FLOW = 100
export const EFFICIENCY_MAX = 0.78
/** Water: ρg / 10⁵ Pa, bar per metre of head. */
export const BAR_PER_M = 0.0981
export const ATMOSPHERE_BAR = 1.013
/** Vapour pressure of water at 25 °C, bar absolute. */
export const VAPOUR_BAR = 0.032
/** NPSH the pump needs at its best efficiency point (3 % head drop), nominal speed. */
export const NPSH_REQUIRED_M = 4
export const SUPPLY_V = 400
export const POWER_FACTOR = 0.88
export const MOTOR_EFFICIENCY = 0.93
/** Magnetising current: flows at any load, so an idling motor still draws it. */
export const MAGNETISING_A = 12
/** Demand: the drive's speed set-point is redrawn in this range (share of nominal speed) now and then. */
export const SPEED_MIN = 0.7
export const SPEED_MAX = 1.0
/** How fast the drive ramps, share of nominal speed per second. */
export const RAMP_PER_S = 0.02
/** A set-point holds at least this long, plus an exponential time of mean {@link DEMAND_MEAN_S}. */
export const DEMAND_MIN_S = 15
export const DEMAND_MEAN_S = 45
/** Thermal time constant of the bearing housing (a small pump's; large ones take tens of minutes). */
export const BEARING_TAU_S = 180

/**
 * How a failure changes the pump at the current reading; every field neutral when healthy. Set by the
 * failure episode before each step.
 */
export class PumpCondition {
  /** Impeller clogging: head at a given speed (×). */
  headFactor = 1
  /** Impeller clogging: steepness of the pump curve (×). */
  curveFactor = 1
  /** Impeller clogging: hydraulic efficiency (×). */
  efficiencyFactor = 1
  /** Seal leak: m³/h lost per √(m of head), before the flow meter. */
  leak = 0
  /** Cavitation: extra suction loss at nominal flow (a clogging strainer), bar. */
  strainerLossBar = 0
  /** Cavitation: lower supply level, bar. */
  supplyDropBar = 0
  /** Impeller clogging: vibration from the unbalanced impeller (×). */
  unbalance = 1
  /** Bearing wear, 0 (new) to 1: vibration, friction heat, friction power. */
  bearingWear = 0

  reset (): void {
    this.headFactor = 1
    this.curveFactor = 1
    this.efficiencyFactor = 1
    this.leak = 0
    this.strainerLossBar = 0
    this.supplyDropBar = 0
    this.unbalance = 1
    this.bearingWear = 0
  }
}

/** One step of a pump, before sensor noise is rounded away. */
export interface PumpValues {
  flow: number
  suctionPressure: number
  dischargePressure: number
  motorCurrent: number
  speed: number
  vibration: number
  bearingTemperature: number
}

/** The healthy behaviour of one pump and its plant, with the failure's {@link PumpCondition} applied. */
export class PumpProcess implements PumpValues {
  flow = 0
  suctionPressure = 0
  dischargePressure = 0
  motorCurrent = 0
  speed = 0
  vibration = 0
  bearingTemperature = 0
  /** Cavitation intensity of the last step, 0 (none) to 1: NPSH available against NPSH required. */
  cavitation = 0
  readonly condition = new PumpCondition()

  // What makes this pump and its plant different from the next one.
  private readonly staticHead: number
  private readonly systemC: number
  private readonly supplyBar: number
  private readonly suctionLossBar: number
  private readonly ambientBase: number
  private readonly vibrationBase: number
  private readonly bearingRise: number
  private readonly frictionKw: number

  // State.
  private t = 0
  private speedRatio: number
  private setPoint: number
  private nextDemandAt: number
  private valve = 0
  private level = 0
  private ambient = 0
  private temperature: number

  constructor (private readonly rng: Random, private readonly dtS: number) {
    this.staticHead = rng.uniform(8, 12)
    const flowAtNominal = rng.uniform(95, 105)
    this.systemC = (SHUTOFF_HEAD_M - this.staticHead - CURVE_K * flowAtNominal ** 2) / flowAtNominal ** 2
    this.supplyBar = rng.uniform(0.6, 1.2)
    this.suctionLossBar = rng.uniform(0.15, 0.25)
    this.ambientBase = rng.uniform(20, 30)
    this.vibrationBase = rng.uniform(1.3, 2.0)
    this.bearingRise = rng.uniform(20, 28)
    this.frictionKw = rng.uniform(0.3, 0.5)
    this.setPoint = rng.uniform(SPEED_MIN, SPEED_MAX)
    this.speedRatio = this.setPoint
    this.nextDemandAt = this.demandHold()
    // The pump has been running: its bearing starts warm, at the temperature of its speed.
    this.temperature = this.bearingSteadyState(this.speedRatio)
  }

  /** Advances one reading. */
  step (): void {
    const rng = this.rng
    const dt = this.dtS
    const c = this.condition
    this.t += dt
    if (this.t >= this.nextDemandAt) {
      this.setPoint = rng.uniform(SPEED_MIN, SPEED_MAX)
      this.nextDemandAt = this.t + this.demandHold()
    }
    const maxStep = RAMP_PER_S * dt
    const diff = this.setPoint - this.speedRatio
    this.speedRatio += diff > maxStep ? maxStep : diff < -maxStep ? -maxStep : diff
    const s = this.speedRatio * (1 + rng.normal(0, 0.001))
    // Slow wandering of the plant: a throttle valve downstream, the supply tank's level, the room.
    this.valve = ar1(this.valve, dt, 300, rng)
    this.level = ar1(this.level, dt, 900, rng)
    this.ambient = ar1(this.ambient, dt, 3600, rng)

    // Cavitation costs head (the vapour blocks the impeller's channels) and it comes and goes: it is
    // taken from the previous step's intensity, as the bubbles of one instant shape the next.
    const cavitationLoss = this.cavitation > 0 ? this.cavitation * (0.1 + 0.08 * Math.abs(rng.normal())) : 0
    const h0 = SHUTOFF_HEAD_M * c.headFactor * (1 - cavitationLoss) * s * s
    const k = CURVE_K * c.curveFactor
    const sys = this.systemC * (1 + 0.06 * this.valve)
    // Operating point with a leak before the meter: the pump delivers Qm + Ql, the system takes Qm, the
    // leak through the seal grows with the square root of the pressure.
    let leak = 0
    let metered = 0
    let head = 0
    for (let i = 0; i < 4; i++) {
      metered = operatingFlow(h0, k, sys, this.staticHead, leak)
      head = h0 - k * (metered + leak) ** 2
      leak = c.leak * Math.sqrt(head > 0 ? head : 0)
    }
    const pumped = metered + leak

    const supply = this.supplyBar + 0.05 * this.level - c.supplyDropBar
    // The suction side cannot fall below the liquid's vapour pressure: there the liquid boils.
    const suction = Math.max(VAPOUR_BAR - ATMOSPHERE_BAR, supply - (this.suctionLossBar + c.strainerLossBar) * (pumped / BEP_FLOW) ** 2)
    const npshAvailable = (suction + ATMOSPHERE_BAR - VAPOUR_BAR) / BAR_PER_M
    const relative = pumped / (BEP_FLOW * s)
    const npshRequired = NPSH_REQUIRED_M * s * s * (0.5 + 0.5 * relative * relative)
    // Bubbles form (incipient cavitation: noise, vibration) well above the NPSH at which the head has
    // dropped 3 %: from twice that here, fully developed at it.
    this.cavitation = clamp01((2 * npshRequired - npshAvailable) / npshRequired)

    const hydraulicKw = 9.81 * head * pumped / 3600
    const efficiency = Math.max(0.25, EFFICIENCY_MAX * c.efficiencyFactor * (1 - 0.6 * (relative - 1) ** 2))
    const shaftKw = hydraulicKw / efficiency + this.frictionKw * s * (1 + 2 * c.bearingWear)
    // Volts per hertz: the motor's voltage follows its speed, so the current follows the torque.
    const loadA = shaftKw / MOTOR_EFFICIENCY * 1000 / (Math.sqrt(3) * SUPPLY_V * s * POWER_FACTOR)
    const current = Math.sqrt(MAGNETISING_A * MAGNETISING_A + loadA * loadA)

    // Vibration: unbalance grows with speed, flow away from the best point excites the casing,
    // bubbles collapsing and a worn bearing add broad-band energy and impacts.
    let vibration = this.vibrationBase * s * (1 + 1.5 * (relative - 1) ** 2) * c.unbalance * (1 + 2.2 * c.bearingWear)
    if (this.cavitation > 0) vibration += this.cavitation * (2 + 1.5 * Math.abs(rng.normal()))
    if (c.bearingWear > 0 && rng.next() < 0.15) vibration += c.bearingWear * rng.uniform(1, 3)
    this.temperature += (this.bearingSteadyState(s) + 25 * c.bearingWear - this.temperature) * (1 - Math.exp(-dt / BEARING_TAU_S))

    // What the transmitters report: their own noise, more of it in a cavitating, surging flow.
    const turbulence = 1 + 4 * this.cavitation
    this.flow = Math.max(0, metered * (1 + rng.normal(0, 0.006 * turbulence)) + rng.normal(0, 0.2))
    this.suctionPressure = suction + rng.normal(0, 0.01 * turbulence)
    this.dischargePressure = Math.max(0, suction + head * BAR_PER_M + rng.normal(0, 0.015 * turbulence))
    this.motorCurrent = current * (1 + rng.normal(0, 0.006 * turbulence))
    this.speed = s * NOMINAL_RPM + rng.normal(0, 2)
    this.vibration = Math.max(0, vibration * (1 + rng.normal(0, 0.05)))
    this.bearingTemperature = this.temperature + rng.normal(0, 0.1)
  }

  private demandHold (): number {
    return DEMAND_MIN_S - DEMAND_MEAN_S * Math.log(1 - this.rng.next())
  }

  private bearingSteadyState (s: number): number {
    return this.ambientBase + this.ambient + this.bearingRise * (0.4 + 0.6 * s * s)
  }
}

/** Metered flow where pump curve (shut-off head h0, steepness k) meets the system curve, with `leak` m³/h lost before the meter. */
function operatingFlow (h0: number, k: number, c: number, staticHead: number, leak: number): number {
  // h0 − k(Q + L)² = H_static + cQ²  →  (k + c)Q² + 2kLQ + (kL² + H_static − h0) = 0
  const a = k + c
  const b = 2 * k * leak
  const d = b * b - 4 * a * (k * leak * leak + staticHead - h0)
  if (d <= 0) return 0
  const q = (-b + Math.sqrt(d)) / (2 * a)
  return q > 0 ? q : 0
}

/** An AR(1) process of unit stationary spread and time constant `tauS`, one step of `dt` seconds. */
function ar1 (x: number, dt: number, tauS: number, rng: Random): number {
  const a = Math.exp(-dt / tauS)
  return a * x + Math.sqrt(1 - a * a) * rng.normal()
}

function clamp01 (x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x
}
