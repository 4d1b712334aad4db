import { type RejectReason, type Telemetry } from '@factory-edge/shared/contract'
import { Random } from '@factory-edge/shared/ml'
import { normalReading } from '@factory-edge/test-support/readings'

/** One fuzzed payload and the reason the detector must give for refusing it. */
export interface BadPayload {
  kind: string
  topic: string
  payload: Buffer
  reason: RejectReason
}

const FIELDS = ['temperature', 'airTemperature', 'rpm', 'torque', 'toolWear', 'humidity'] as const
const WRONG_VALUES: unknown[] = ['31.5', true, null, [], {}, [1, 2], { value: 3 }, '']
const MEGABYTE = 1024 * 1024

function topicOf (id: string): string {
  return `factory/${id}/telemetry`
}

/**
 * A seeded generator of bad telemetry, one kind after another: truncated JSON, wrong types, huge numbers,
 * NaN and Infinity, deep nesting, 1 MB strings, a machine id that does not match the topic, invalid
 * UTF-8, and more. Each payload comes with the reject reason it must get, so the test can check the
 * detector's count per reason, not just the total.
 */
export function * badPayloads (count: number, seed: number): Generator<BadPayload> {
  const random = new Random(seed)
  const base = (): Telemetry => normalReading(`fuzz-${random.int(5)}`, random.int(1_000_000), Date.now() - random.int(1_000_000), random)
  const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value))
  const kinds: Array<() => Omit<BadPayload, 'topic'> & { topic?: string }> = [
    () => {
      const text = JSON.stringify(base())
      return { kind: 'truncated JSON', payload: Buffer.from(text.slice(0, 1 + random.int(text.length - 1))), reason: 'not_json' }
    },
    () => {
      const r: Record<string, unknown> = { ...base() }
      r[FIELDS[random.int(FIELDS.length)]] = WRONG_VALUES[random.int(WRONG_VALUES.length)]
      return { kind: 'wrong type', payload: json(r), reason: 'wrong_type' }
    },
    () => {
      const r: Record<string, unknown> = { ...base() }
      r.seq = random.int(2) === 0 ? 1.5 : '7'
      return { kind: 'non-integer sequence number', payload: json(r), reason: 'wrong_type' }
    },
    () => {
      // JSON numbers beyond double range parse as Infinity.
      const text = JSON.stringify(base()).replace(/"rpm":[^,]+/, `"rpm":${random.int(2) === 0 ? '' : '-'}1e${400 + random.int(1000)}`)
      return { kind: 'huge number (Infinity)', payload: Buffer.from(text), reason: 'not_finite' }
    },
    () => {
      const r = { ...base(), torque: 10 ** (20 + random.int(280)) }
      return { kind: 'huge number (out of range)', payload: json(r), reason: 'out_of_range' }
    },
    () => {
      const literal = ['NaN', 'Infinity', '-Infinity', 'undefined'][random.int(4)]
      const text = JSON.stringify(base()).replace(/"humidity":[^,}]+/, `"humidity":${literal}`)
      return { kind: 'NaN literal', payload: Buffer.from(text), reason: 'not_json' }
    },
    () => {
      const depth = 20 + random.int(500)
      const text = JSON.stringify(base()).replace(/"temperature":[^,]+/, `"temperature":${'['.repeat(depth)}1${']'.repeat(depth)}`)
      return { kind: 'deep nesting', payload: Buffer.from(text), reason: text.length > 4096 ? 'too_large' : 'wrong_type' }
    },
    () => {
      const depth = 5000 + random.int(100_000)
      return { kind: 'deep nesting (huge)', payload: Buffer.from('{"a":'.repeat(depth) + '1' + '}'.repeat(depth)), reason: 'too_large' }
    },
    () => {
      // A few 1 MB strings: enough to prove the point without pushing gigabytes through the brokers.
      const big = random.int(50) === 0
      const r = { ...base(), note: 'x'.repeat(big ? MEGABYTE : 4096 + random.int(8192)) }
      return { kind: big ? '1 MB string' : 'long string', payload: json(r), reason: 'too_large' }
    },
    () => {
      const r = base()
      return { kind: 'machine id of another topic', topic: topicOf(`other-${random.int(5)}`), payload: json(r), reason: 'topic_mismatch' }
    },
    () => {
      // Invalid UTF-8 inside an otherwise valid reading (an extra field): JSON text must be UTF-8.
      const text = JSON.stringify({ ...base(), note: '@@' })
      const at = text.indexOf('@@')
      const bytes = Buffer.from(text)
      // A lead byte that can never start a character (0x80 continuation, 0xc0 overlong, 0xfe, 0xff).
      bytes[at] = [0xff, 0xfe, 0xc0, 0x80][random.int(4)]
      bytes[at + 1] = [0xfe, 0x28, 0xa0, 0xc0][random.int(4)]
      return { kind: 'invalid UTF-8', payload: bytes, reason: 'not_json' }
    },
    () => {
      const bytes = Buffer.alloc(1 + random.int(300))
      for (let i = 0; i < bytes.length; i++) bytes[i] = random.int(256)
      // Random bytes are never a JSON object; a leading 0xff keeps them from being a lucky number.
      bytes[0] = 0xff
      return { kind: 'random bytes', payload: bytes, reason: 'not_json' }
    },
    () => {
      const r: Record<string, unknown> = { ...base() }
      delete r[['ts', 'seq', ...FIELDS][random.int(8)]]
      return { kind: 'missing field', payload: json(r), reason: 'missing_field' }
    },
    () => {
      const values = [[1, 2, 3], 42, '"reading"', null, true]
      return { kind: 'not an object', payload: json(values[random.int(values.length)]), reason: 'not_object' }
    },
    () => {
      const r = { ...base(), machineId: ['has space', 'a/b', '', '#', 'x'.repeat(300)][random.int(5)] }
      return { kind: 'bad machine id', payload: json(r), reason: 'bad_machine_id' }
    },
    () => {
      const r = { ...base(), humidity: 100 + random.uniform(0.1, 1e6) }
      return { kind: 'out of range', payload: json(r), reason: 'out_of_range' }
    }
  ]
  for (let i = 0; i < count; i++) {
    const made = kinds[random.int(kinds.length)]()
    const id = /"machineId":"([^"]*)"/.exec(made.payload.subarray(0, 400).toString('latin1'))?.[1]
    yield { ...made, topic: made.topic ?? topicOf(id !== undefined && /^[A-Za-z0-9_.-]{1,64}$/.test(id) ? id : 'fuzz-0') }
  }
}
