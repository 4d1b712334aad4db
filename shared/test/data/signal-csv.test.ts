import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DataError, openSignalCsv, parseTimestamp } from '@factory-edge/shared/data'

test('parseTimestamp reads ISO 8601, the historian form as UTC, epoch seconds and milliseconds, and nothing else', () => {
  const t = Date.UTC(2026, 2, 1, 13, 45, 30, 250)
  assert.equal(parseTimestamp('2026-03-01T13:45:30.250Z'), t)
  assert.equal(parseTimestamp('2026-03-01T14:45:30.250+01:00'), t)
  assert.equal(parseTimestamp('2026-03-01T14:45:30.250+0100'), t)
  assert.equal(parseTimestamp('2026-03-01T08:45:30.250-05'), t)
  assert.equal(parseTimestamp('2026-03-01 13:45:30.250'), t)
  assert.equal(parseTimestamp('2026-03-01 13:45:30,250'), t)
  assert.equal(parseTimestamp('2026-03-01 13:45'), t - 30_250)
  assert.equal(parseTimestamp('2026-03-01'), Date.UTC(2026, 2, 1))
  assert.equal(parseTimestamp(String(t / 1000)), t)
  assert.equal(parseTimestamp(String(t)), t)
  // Small numbers are seconds: 1973-03-03 in milliseconds is 10¹¹, every later time is read as ms.
  assert.equal(parseTimestamp('99999999999'), 99_999_999_999_000)
  assert.equal(parseTimestamp('100000000000'), 100_000_000_000)
  for (const bad of ['', 'yesterday', '01/03/2026 13:45', '2026-03-01T25:00:00Z', '-5', '1e12', '2026-03-01 13:45:30 CET']) {
    assert.equal(parseTimestamp(bad), undefined, bad)
  }
})

test('openSignalCsv refuses a header it cannot use with the columns found', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'signal-csv-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const cases: Array<[string, Partial<Parameters<typeof openSignalCsv>[1]>, RegExp]> = [
    ['time,status\n2026-01-01,RUN\n', {}, /no numeric column to take as a signal; columns found: "time", "status"$/],
    ['time,seq2\n2026-01-01,1\n', { columns: ['seq2=seq'] }, /column "seq2" cannot be a signal named "seq"/],
    ['when;flow\n1;2\n', {}, /separated by semicolons/],
    ['when,flow\n1,2\n', { timestampColumn: 'When', machineColumn: 'line' }, /no machine column "line"; columns found: "when", "flow"$/]
  ]
  for (const [text, options, message] of cases) {
    const file = join(dir, 'f.csv')
    writeFileSync(file, text)
    await assert.rejects(openSignalCsv(file, { machineId: 'm', onBad: () => {}, ...options }), (err: Error) => err instanceof DataError && message.test(err.message), text)
  }
  // A timestamp column found by name in any case; a column of text is left out and said so.
  const file = join(dir, 'ok.csv')
  writeFileSync(file, 'TIME,status,flow\n1767225600,RUN,5\n')
  const csv = await openSignalCsv(file, { machineId: 'm', onBad: () => {} })
  assert.deepEqual([csv.timestampColumn, csv.signals, csv.ignored], ['TIME', ['flow'], ['status']])
  const rows = []
  for await (const r of csv.records()) rows.push(r)
  assert.deepEqual(rows, [{ line: 2, telemetry: { machineId: 'm', ts: 1_767_225_600_000, seq: 0, flow: 5 } }])
})
