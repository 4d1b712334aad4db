import { TypeCompiler } from '@sinclair/typebox/compiler'
import { MachineStatus, machineIdFromTopic } from '@factory-edge/shared/contract'
import type { RateLimitedLog } from '@factory-edge/shared/runtime'
import type { DetectorPipeline } from '../pipeline/pipeline.js'
import type { MachineHistory } from './machine-history.js'

const statusCheck = TypeCompiler.Compile(MachineStatus)

/**
 * What the web view does with a machine's retained status (`<prefix>/<id>/status`, `offline` set by the
 * publisher's MQTT last will): a tracked machine shows as offline until its next reading or an `online`.
 * A status is advisory, so one that is not the contract's is logged (rate-limited) and otherwise
 * ignored, as are statuses of machines the detector does not track (the view lists tracked ones only).
 */
export function machineStatusHandler (pipeline: DetectorPipeline, history: MachineHistory, prefix: string, log: RateLimitedLog): (topic: string, payload: Buffer) => void {
  return (topic, payload) => {
    const id = machineIdFromTopic(topic, prefix)
    const slot = id === undefined ? -1 : pipeline.machines.slotOf(id)
    if (slot < 0) return
    let status: unknown
    try {
      status = JSON.parse(payload.toString('utf8'))
    } catch {}
    if (!statusCheck.Check(status)) {
      log.warn('bad-status', { topic }, 'ignored a machine status that is not {"machineId","status":"online"|"offline","ts"}')
      return
    }
    history.setOnline(slot, status.status === 'online')
  }
}
