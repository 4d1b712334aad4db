import { connect as connectTcp, type Socket } from 'node:net'
import mqttPacket, { type Packet } from 'mqtt-packet'

// Hand-built MQTT packets over raw sockets, so that tests can send what a client library never would
// (invalid UTF-8, U+0000, a will QoS of 3, a password without a user name, ...).

export function rawSocket (port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp(port, '127.0.0.1')
    socket.once('connect', () => resolve(socket))
    socket.once('error', reject)
  })
}

export function closed (socket: Socket, ms = 10000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return resolve()
    const timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms)
    socket.once('close', () => { clearTimeout(timer); resolve() })
    socket.on('error', () => {})
    socket.resume()
  })
}

/** A string field: a JS string is encoded as UTF-8, a Buffer is sent as it is (e.g. invalid UTF-8). */
export type Field = string | Buffer

function field (value: Field): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value
  const length = Buffer.alloc(2)
  length.writeUInt16BE(bytes.length)
  return Buffer.concat([length, bytes])
}

function remainingLength (length: number): Buffer {
  const out: number[] = []
  let x = length
  do {
    let byte = x % 128
    x = Math.floor(x / 128)
    if (x > 0) byte |= 0x80
    out.push(byte)
  } while (x > 0)
  return Buffer.from(out)
}

function packet (firstByte: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([firstByte]), remainingLength(body.length), body])
}

export interface RawConnect {
  clientId: Field
  clean?: boolean
  /** 4 = MQTT 3.1.1 (default), 3 = MQTT 3.1, 5 = MQTT 5. */
  version?: 3 | 4 | 5
  will?: { topic: Field, qos: number, payload?: string, retain?: boolean }
  username?: Field
  password?: string
  keepalive?: number
  /** Default: MQTT (MQIsdp for version 3). */
  protocolName?: string
}

export function connectBytes (c: RawConnect): Buffer {
  const version = c.version ?? 4
  let flags = (c.clean ?? true) ? 0x02 : 0
  if (c.will !== undefined) flags |= 0x04 | (c.will.qos << 3) | (c.will.retain === true ? 0x20 : 0)
  if (c.password !== undefined) flags |= 0x40
  if (c.username !== undefined) flags |= 0x80
  const keepalive = Buffer.alloc(2)
  keepalive.writeUInt16BE(c.keepalive ?? 60)
  const parts = [field(c.protocolName ?? (version === 3 ? 'MQIsdp' : 'MQTT')), Buffer.from([version, flags]), keepalive]
  if (version === 5) parts.push(Buffer.from([0])) // no properties
  parts.push(field(c.clientId))
  if (c.will !== undefined) {
    if (version === 5) parts.push(Buffer.from([0]))
    parts.push(field(c.will.topic), field(c.will.payload ?? 'gone'))
  }
  if (c.username !== undefined) parts.push(field(c.username))
  if (c.password !== undefined) parts.push(field(c.password))
  return packet(0x10, Buffer.concat(parts))
}

export function publishBytes (topic: Field, payload: string | Buffer, options: { qos?: 0 | 1 | 2, retain?: boolean, messageId?: number } = {}): Buffer {
  const qos = options.qos ?? 0
  const id = Buffer.alloc(qos > 0 ? 2 : 0)
  if (qos > 0) id.writeUInt16BE(options.messageId ?? 1)
  return packet(0x30 | (qos << 1) | (options.retain === true ? 1 : 0), Buffer.concat([field(topic), id, Buffer.from(payload)]))
}

export function subscribeBytes (filters: Field[], messageId = 1, qos = 1): Buffer {
  const id = Buffer.alloc(2)
  id.writeUInt16BE(messageId)
  return packet(0x82, Buffer.concat([id, ...filters.map((f) => Buffer.concat([field(f), Buffer.from([qos])]))]))
}

export function unsubscribeBytes (filters: Field[], messageId = 1): Buffer {
  const id = Buffer.alloc(2)
  id.writeUInt16BE(messageId)
  return packet(0xa2, Buffer.concat([id, ...filters.map(field)]))
}

/** PUBACK (0x40), PUBREC (0x50) or PUBCOMP (0x70) for a packet id. */
export function ackBytes (type: 'puback' | 'pubrec' | 'pubcomp', messageId: number): Buffer {
  return packet({ puback: 0x40, pubrec: 0x50, pubcomp: 0x70 }[type], Buffer.from([messageId >> 8, messageId & 0xff]))
}

export const PINGREQ = Buffer.from([0xc0, 0x00])

export interface Exchange {
  /** Packets the broker sent, in order. */
  received: Packet[]
  /** Whether the broker closed the connection. */
  closed: boolean
}

/**
 * Sends `steps` one after another (each after the broker's answers to the previous one had `settleMs`
 * to arrive) and reports what came back and whether the broker closed the connection; with
 * `untilClosed`, waits up to 5 s for the close after the last step.
 */
export async function exchange (port: number, steps: Buffer[], untilClosed = false, settleMs = 200): Promise<Exchange> {
  const socket = await rawSocket(port)
  const received: Packet[] = []
  const parser = mqttPacket.parser({ protocolVersion: 4 })
  parser.on('packet', (p) => received.push(p))
  parser.on('error', () => {})
  let isClosed = false
  socket.on('data', (chunk) => parser.parse(chunk))
  socket.on('error', () => {})
  const closing = new Promise((resolve) => socket.once('close', resolve))
  socket.on('close', () => { isClosed = true })
  for (const step of steps) {
    if (isClosed) break
    socket.write(step)
    await new Promise((resolve) => setTimeout(resolve, settleMs))
  }
  if (untilClosed) await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 5000))])
  socket.destroy()
  return { received, closed: isClosed }
}

const INVALID_TOPIC = Buffer.concat([Buffer.from('factory/'), Buffer.alloc(30000, 0xff), Buffer.from('/telemetry')])

/** Sends `bytes` on a fresh connection and waits for the broker to close it. */
async function sendAndWaitForClose (port: number, bytes: Buffer[], hangUp = false): Promise<void> {
  const socket = await rawSocket(port)
  for (const b of bytes) socket.write(b)
  // The will case: a dropped connection is what makes the broker publish the will.
  if (hangUp) await new Promise((resolve) => setTimeout(resolve, 100)).then(() => socket.destroy())
  await closed(socket)
}

/**
 * The inputs that once made factory-broker disconnect a persistent QoS 1 subscriber of
 * `factory/+/telemetry` at every reconnect, each on its own connection, which the broker must close
 * (they are not valid MQTT 3.1.1): a will of QoS 3 then a dropped connection, a QoS 1 PUBLISH on a
 * topic of 30,000 bytes of 0xff (plain and retained), a topic with U+0000, and the filter `a+/telemetry`.
 * Resolves once the broker has closed all five connections.
 */
export async function sendMalformedClients (port: number): Promise<void> {
  const id = (): string => `attacker-${Math.random().toString(36).slice(2)}`
  await sendAndWaitForClose(port, [connectBytes({ clientId: 'w', will: { topic: 'factory/machine-9/telemetry', qos: 3 } })], true)
  await sendAndWaitForClose(port, [connectBytes({ clientId: id() }), publishBytes(INVALID_TOPIC, '{"bad":1}', { qos: 1 })])
  await sendAndWaitForClose(port, [connectBytes({ clientId: id() }), publishBytes(INVALID_TOPIC, '{"bad":2}', { qos: 1, retain: true })])
  await sendAndWaitForClose(port, [connectBytes({ clientId: id() }), publishBytes('factory/\u0000/telemetry', '{"bad":3}', { qos: 1 })])
  await sendAndWaitForClose(port, [connectBytes({ clientId: id() }), subscribeBytes(['a+/telemetry'])])
}
