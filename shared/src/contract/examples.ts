/**
 * One or more example payloads per message, shown in docs/asyncapi.yaml. They are typed with the
 * schemas' static types and a test checks each against its schema, so an example cannot drift from the
 * contract; the README's anomaly event is PROCESS_ANOMALY_EXAMPLE (a test keeps the two equal).
 */
import type { AnomalyEvent, GroundTruth, MachineState, MachineStatus, RejectedMessage, Telemetry } from './schemas.js'

export interface MessageExample<T> {
  name: string
  summary: string
  payload: T
}

export const TELEMETRY_EXAMPLES: Array<MessageExample<Telemetry>> = [{
  name: 'reading',
  summary: 'One reading of machine-3',
  payload: { machineId: 'machine-3', ts: 1764012345000, seq: 412, temperature: 37.8, airTemperature: 27.7, rpm: 1342, torque: 61.2, toolWear: 187, humidity: 41.5, productType: 'L' }
}]

export const PROFILE_TELEMETRY_EXAMPLES: Array<MessageExample<Record<string, unknown>>> = [{
  name: 'pumpReading',
  summary: 'One reading of a pump of the pump profile in config/profiles.yaml',
  payload: { machineId: 'pump-2', ts: 1764012345000, seq: 97, flow: 88.4, suctionPressure: 0.62, dischargePressure: 4.31, motorCurrent: 27.9, speed: 2610, vibration: 1.42, bearingTemperature: 46.8 }
}]

export const PROCESS_ANOMALY_EXAMPLE: MessageExample<AnomalyEvent> = {
  name: 'processRaised',
  summary: 'A process anomaly raised on machine-3 (the example in the README)',
  payload: {
    machineId: 'machine-3',
    ts: 1764012345000,
    seq: 412,
    state: 'raised',
    kind: 'process',
    severity: 'critical',
    score: 0.71,
    threshold: 0.58,
    calibration: { smoothedScore: 0.66, baseline: 0.5, margin: 0.1 },
    modelVersion: '3f9a1c0e7b2d',
    features: [
      { name: 'dissipation', unit: 'K·rpm', value: 8541, contribution: 0.55 },
      { name: 'torque', unit: 'Nm', value: 58.4, contribution: 0.27 },
      { name: 'power', unit: 'W', value: 8206, contribution: 0.18 }
    ],
    window: { size: 30, from: 1764012316000, to: 1764012345000, over: 3, of: 5 }
  }
}

export const ANOMALY_EVENT_EXAMPLES: Array<MessageExample<AnomalyEvent>> = [
  PROCESS_ANOMALY_EXAMPLE,
  {
    name: 'sensorFaultRaised',
    summary: 'The temperature sensor of machine-7 is stuck: a sensor fault, for an instrument technician',
    payload: {
      machineId: 'machine-7',
      ts: 1764012401000,
      seq: 988,
      state: 'raised',
      kind: 'sensor_fault',
      signal: 'temperature',
      fault: 'stuck',
      severity: 'warning',
      score: 0.52,
      threshold: 0.58,
      modelVersion: '3f9a1c0e7b2d',
      features: [{ name: 'dissipation', unit: 'K·rpm', value: 12874, contribution: 0.55 }, { name: 'torque', unit: 'Nm', value: 41.2, contribution: 0.45 }],
      window: { size: 30, from: 1764012372000, to: 1764012401000, over: 0, of: 5 }
    }
  },
  {
    name: 'processCleared',
    summary: 'The process anomaly of machine-3 cleared',
    payload: {
      machineId: 'machine-3',
      ts: 1764012405000,
      seq: 472,
      state: 'cleared',
      kind: 'process',
      severity: 'warning',
      score: 0.49,
      threshold: 0.58,
      calibration: { smoothedScore: 0.57, baseline: 0.5, margin: 0.1 },
      modelVersion: '3f9a1c0e7b2d',
      features: [{ name: 'dissipation', unit: 'K·rpm', value: 14920, contribution: 0.52 }, { name: 'power', unit: 'W', value: 6410, contribution: 0.48 }],
      window: { size: 30, from: 1764012376000, to: 1764012405000, over: 0, of: 5 }
    }
  }
]

export const MACHINE_STATE_EXAMPLES: Array<MessageExample<MachineState>> = [{
  name: 'anomalous',
  summary: 'The retained state of machine-3 while its anomaly is up',
  payload: { machineId: 'machine-3', ts: 1764012345000, state: 'anomalous', score: 0.71, threshold: 0.58, modelVersion: '3f9a1c0e7b2d' }
}]

export const MACHINE_STATUS_EXAMPLES: Array<MessageExample<MachineStatus>> = [
  { name: 'online', summary: 'Published, retained, when the machine connects', payload: { machineId: 'machine-3', status: 'online', ts: 1764012000000 } },
  { name: 'offline', summary: 'The last will: the broker publishes it when the machine disappears', payload: { machineId: 'machine-3', status: 'offline', ts: 1764012000000 } }
]

export const REJECTED_MESSAGE_EXAMPLES: Array<MessageExample<RejectedMessage>> = [{
  name: 'outOfRange',
  summary: 'A reading with a physically impossible temperature',
  payload: {
    machineId: 'machine-3',
    topic: 'factory/machine-3/telemetry',
    ts: 1764012346000,
    reason: 'out_of_range',
    detail: 'temperature 9999 is out of range: Expected number to be less or equal to 400',
    payload: '{"machineId":"machine-3","ts":1764012346000,"seq":413,"temperature":9999,"airTemperature":27.7,"rpm":1342,"torque":61.2,"toolWear":187,"humidity":41.5}'
  }
}]

export const GROUND_TRUTH_EXAMPLES: Array<MessageExample<GroundTruth>> = [
  { name: 'failureStart', summary: 'The simulator starts a heat-dissipation failure on machine-3', payload: { machineId: 'machine-3', ts: 1764012300000, seq: 380, kind: 'failure', mode: 'HDF', phase: 'start' } },
  { name: 'sensorFaultEnd', summary: 'A stuck temperature sensor on machine-7 ends', payload: { machineId: 'machine-7', ts: 1764012460000, seq: 1017, kind: 'sensor_fault', mode: 'stuck', phase: 'end' } }
]
