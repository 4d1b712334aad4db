import type { AnomalyEvent } from './schemas.js'

/** What a sensor-fault event names, as people read it: the fault and its signal ("spike rpm", "dropout"). */
export function sensorFaultText (event: Pick<AnomalyEvent, 'fault' | 'signal'>): string {
  return `${event.fault ?? 'fault'}${event.signal === undefined ? '' : ` ${event.signal}`}`
}
