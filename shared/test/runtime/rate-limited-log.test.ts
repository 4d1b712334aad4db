import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import pino from 'pino'
import { RateLimitedLog } from '../../src/runtime/index.js'

function recordingLogger (): { logger: pino.Logger, lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({ write (chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString())); done() } })
  return { logger: pino({ level: 'info' }, stream), lines }
}

const settle = async (): Promise<void> => await new Promise((resolve) => setImmediate(resolve))

test('one line per key and interval; the held-back lines are counted on the next one', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 })
  const { logger, lines } = recordingLogger()
  const log = new RateLimitedLog(logger, 1000)
  log.warn('a', { n: 1 }, 'first')
  log.warn('a', { n: 2 }, 'held back')
  log.warn('a', { n: 3 }, 'held back')
  log.error('b', { n: 4 }, 'another key')
  t.mock.timers.setTime(1_001_000)
  log.warn('a', { n: 5 }, 'after the interval')
  log.warn('a', { n: 6 }, 'held back')
  await settle()
  assert.deepEqual(lines.map((l) => [l.level, l.msg, l.n, l.suppressed]), [
    [40, 'first', 1, undefined],
    [50, 'another key', 4, undefined],
    [40, 'after the interval', 5, 2]
  ])
})

test('keys are bounded: beyond maxKeys they are forgotten', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 })
  const { logger, lines } = recordingLogger()
  const log = new RateLimitedLog(logger, 1000, 2)
  log.warn('a', {}, 'a')
  log.warn('b', {}, 'b')
  log.warn('c', {}, 'c')
  log.warn('a', {}, 'a again')
  await settle()
  assert.deepEqual(lines.map((l) => l.msg), ['a', 'b', 'c', 'a again'])
})
