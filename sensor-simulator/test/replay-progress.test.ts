import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { createLogger } from '@factory-edge/shared/runtime'
import { replayFile } from '../src/index.js'
import { countLines, formatSeconds, ReplayProgress, type ReplayPosition } from '../src/replay/progress.js'
import { startAedes } from '@factory-edge/test-support/aedes'
import { startProcess } from '@factory-edge/test-support/child-process'
import { eventually } from '@factory-edge/test-support/wait'

const BIN = fileURLToPath(new URL('../src/bin/sensor-simulator.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'replay-progress-test-'))
const cleanups: Array<() => Promise<void>> = [async () => rmSync(dir, { recursive: true, force: true })]
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {})
})

const AI4I_HEADER = 'UDI,Product ID,Type,Air temperature [K],Process temperature [K],Rotational speed [rpm],Torque [Nm],Tool wear [min],Machine failure,TWF,HDF,PWF,OSF,RNF'

/** An AI4I file of `rows` rows, row `badRow` (if any) unreadable. */
function ai4iFile (name: string, rows: number, badRow?: number): string {
  const lines = [AI4I_HEADER]
  for (let i = 1; i <= rows; i++) lines.push(`${i},L${47000 + i},L,298.1,308.6,${i === badRow ? 'oops' : 1500 + (i % 50)},40.0,${i % 200},0,0,0,0,0,0`)
  const file = join(dir, name)
  writeFileSync(file, lines.join('\n') + '\n')
  return file
}

const jsonLines = (output: string): Array<Record<string, unknown>> =>
  output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)

test('countLines counts lines with and without a final newline; formatSeconds reads as h/m/s', async () => {
  writeFileSync(join(dir, 'a.txt'), 'x\ny\nz\n')
  writeFileSync(join(dir, 'b.txt'), 'x\ny\nz')
  writeFileSync(join(dir, 'c.txt'), '')
  assert.equal(await countLines(join(dir, 'a.txt')), 3)
  assert.equal(await countLines(join(dir, 'b.txt')), 3)
  assert.equal(await countLines(join(dir, 'c.txt')), 0)
  assert.deepEqual([formatSeconds(7), formatSeconds(65), formatSeconds(3725)], ['7s', '1m05s', '1h02m05s'])
})

test('replayFile reports its position after every row, the last one matching its result', async () => {
  const file = ai4iFile('positions.csv', 30, 12)
  const broker = await startAedes()
  cleanups.push(broker.close)
  const positions: ReplayPosition[] = []
  const result = await replayFile({ brokerUrl: broker.url, file, speed: 0, logger: createLogger('t', { level: 'silent' }), onPosition: (p) => positions.push(p) })
  assert.equal(positions.length, 30)
  assert.deepEqual(positions[positions.length - 1], { sent: 29, skipped: 1, line: 31, pass: 1 })
  // Rows are read up to the reorder window ahead of being sent: the bad row is counted before any is sent.
  assert.deepEqual(positions[0], { sent: 0, skipped: 1, line: 0, pass: 1 })
  assert.deepEqual(positions.slice(1).map((p) => p.line), [...Array.from({ length: 11 }, (_, i) => i + 2), ...Array.from({ length: 18 }, (_, i) => i + 14)])
  assert.equal(result.published, 29)
})

test('on a terminal the progress is a bar with the fraction done, rows sent and rate', async () => {
  const tty = Object.assign(new PassThrough(), { isTTY: true, columns: 160 }) as unknown as NodeJS.WriteStream
  let drawn = ''
  ;(tty as unknown as PassThrough).on('data', (d: Buffer) => { drawn += d.toString() })
  const progress = new ReplayProgress({ totalLines: 101, intervalS: 10, logger: createLogger('t', { level: 'silent' }), stream: tty })
  progress.update({ sent: 49, skipped: 1, line: 51, pass: 1 })
  progress.stop()
  assert.match(drawn, /replay \[=+-+\] 50% \| 49 rows sent, 1 skipped \| [\d.]+ rows\/s \| \d+s left/)
})

test('replay logs progress lines at --stats-interval, and a summary when stopped by SIGINT or SIGTERM', async () => {
  const broker = await startAedes()
  cleanups.push(broker.close)
  // 200 rows a second apart at --speed 20: 10 s, far longer than the test lets it run.
  const file = ai4iFile('long.csv', 200, 3)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const child = await startProcess(process.execPath, [BIN, 'replay', '--csv', file, '--speed', '20', '--stats-interval', '0.4', '--broker-url', broker.url, '--log-format', 'json'],
      (out) => jsonLines(out).filter((l) => l.msg === 'replay progress').length >= 3)
    cleanups.push(async () => { await child.stop() })
    const progress = jsonLines(child.output()).filter((l) => l.msg === 'replay progress')
    const last = progress[progress.length - 1]
    assert.ok((last.sent as number) > 0 && (last.sent as number) < 200, JSON.stringify(last))
    assert.equal(last.skipped, 1)
    // 20 rows/s, measured over 0.4 s windows on a busy machine.
    assert.ok((last.rowsPerS as number) > 5 && (last.rowsPerS as number) < 40, JSON.stringify(last))
    assert.ok((last.percent as number) >= 0 && (last.percent as number) < 100, JSON.stringify(last))
    // About (200 - sent) / 20 seconds left.
    const expectedLeft = (200 - (last.sent as number)) / 20
    assert.ok(Math.abs((last.etaS as number) - expectedLeft) <= 3, `etaS ${String(last.etaS)}, expected about ${expectedLeft}`)

    const exited = new Promise<number | null>((resolve) => child.process.once('exit', resolve))
    child.process.kill(signal)
    assert.equal(await exited, 0)
    const summary = jsonLines(child.output()).find((l) => l.msg === 'replay stopped')
    assert.ok(summary !== undefined, child.output())
    assert.equal(summary.signal, signal)
    assert.equal(summary.skipped, 1)
    assert.ok((summary.sent as number) >= (last.sent as number) && (summary.sent as number) < 200, JSON.stringify(summary))
    assert.ok((summary.elapsedS as number) > 0.5 && (summary.elapsedS as number) < 10, JSON.stringify(summary))
  }
})

test('replay --stats-interval 0 logs no progress; a finished replay logs its summary', async () => {
  const broker = await startAedes()
  cleanups.push(broker.close)
  const file = ai4iFile('short.csv', 20)
  const child = await startProcess(process.execPath, [BIN, 'replay', '--csv', file, '--speed', '0', '--stats-interval', '0', '--broker-url', broker.url, '--log-format', 'json'],
    (out) => out.includes('replay finished'))
  await eventually(() => child.process.exitCode !== null, 10_000, 'replay exits')
  assert.equal(child.process.exitCode, 0)
  const lines = jsonLines(child.output())
  assert.equal(lines.filter((l) => l.msg === 'replay progress').length, 0)
  const summary = lines.find((l) => l.msg === 'replay finished')
  assert.equal(summary?.sent, 20)
  assert.equal(summary?.skipped, 0)
})
