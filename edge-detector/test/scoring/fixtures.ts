import { Random } from '@factory-edge/shared/ml'
import { profilesFromValue } from '@factory-edge/shared/profiles'

/** The clog of {@link historianCsv}: rows CLOG_FROM to CLOG_TO - 1. */
export const CLOG_FROM = 400
export const CLOG_TO = 430
export const HISTORIAN_T0 = Date.UTC(2026, 10, 2, 8, 0, 0)
/** A reading a minute. */
export const HISTORIAN_STEP_MS = 60_000

/** A historian export: two signals of one pump, timestamps as `YYYY-MM-DD HH:MM:SS`, a clog at rows 400-430. */
export function historianCsv (): { text: string, rows: Array<{ ts: number, flow: number, pressure: number }> } {
  const random = new Random(9)
  const rows: Array<{ ts: number, flow: number, pressure: number }> = []
  for (let i = 0; i < 500; i++) {
    const load = 0.8 + 0.1 * Math.sin(i / 15)
    const clogged = i >= CLOG_FROM && i < CLOG_TO
    rows.push({ ts: HISTORIAN_T0 + i * HISTORIAN_STEP_MS, flow: clogged ? 70 + random.uniform(-2, 2) : 200 * load + random.uniform(-2, 2), pressure: clogged ? 11 : 8 * load * load + random.uniform(-0.1, 0.1) })
  }
  const stamp = (ts: number): string => new Date(ts).toISOString().replace('T', ' ').slice(0, 19)
  return { rows, text: 'time,Flow_m3h,Pressure_bar\n' + rows.map((r) => `${stamp(r.ts)},${r.flow},${r.pressure}`).join('\n') + '\n' }
}

/** The historian's columns as the signals of {@link PUMP_PROFILES}. */
export const HISTORIAN_COLUMNS = ['Flow_m3h=flow', 'Pressure_bar=pressure']

/** A profiles file's content: pumps of two signals, `features: auto`, learning on their first 200 readings. */
export const PUMP_PROFILES_FILE = {
  profiles: {
    pump: {
      machines: 'pump-*',
      signals: { flow: { unit: 'm3/h', min: 0, max: 500 }, pressure: { unit: 'bar', min: 0, max: 40 } },
      features: 'auto',
      gapMs: 'auto',
      learn: { readings: 200 }
    }
  }
}

export const PUMP_PROFILES = profilesFromValue(PUMP_PROFILES_FILE, 'pump-profiles.yaml')
