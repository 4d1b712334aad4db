import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { DataError, loadDataset } from '../../src/training/index.js'
import { tempDir, UCI_HEADER, writeText } from './fixtures.js'

const BIN = fileURLToPath(new URL('../../src/bin/edge-detector.js', import.meta.url))
const ROW = (udi: number, torque: string): string => `${udi},L${udi},L,298.1,308.6,1551,${torque},7,0,0,0,0,0,0`

test('a missing column is named, with the columns that were found', async (t) => {
  const dir = await tempDir(t)
  const path = await writeText(dir, 'no-torque.csv', 'UDI,Air temperature [K],Process temperature [K],Rotational speed [rpm],Tool wear [min]\n1,298,308,1500,3\n')
  await assert.rejects(loadDataset(path), (err: Error) => {
    assert.ok(err instanceof DataError)
    assert.match(err.message, /missing column "Torque \[Nm\]"; columns found: "UDI", "Air temperature \[K\]", "Process temperature \[K\]", "Rotational speed \[rpm\]", "Tool wear \[min\]"$/)
    return true
  })
})

test('a value that is not a number: line and column, or skipped, counted and reported', async (t) => {
  const dir = await tempDir(t)
  const path = await writeText(dir, 'bad.csv', [UCI_HEADER, ROW(1, '40'), ROW(2, 'abc'), ROW(3, '41'), ROW(4, ''), ROW(5, '42')].join('\n') + '\n')
  await assert.rejects(loadDataset(path), /bad\.csv line 3: column "Torque \[Nm\]": "abc" is not a number \(use --skip-bad-rows/)
  const ds = await loadDataset(path, { skipBadRows: true })
  assert.equal(ds.rows, 3, 'every good row is kept')
  assert.deepEqual([...ds.readings.torque], [40, 41, 42])
  assert.equal(ds.skipped.count, 2)
  assert.match(ds.skipped.examples[1], /line 5: column "Torque \[Nm\]": "" is not a number/)
})

test('impossible values and short rows are bad rows too', async (t) => {
  const dir = await tempDir(t)
  const path = await writeText(dir, 'odd.csv', [UCI_HEADER, ROW(1, '40'), ROW(2, '-5'), '3,L3,L,298.1', ROW(4, '41')].join('\n') + '\n')
  await assert.rejects(loadDataset(path), /line 3: column "Torque \[Nm\]": -5 is outside the possible range/)
  const ds = await loadDataset(path, { skipBadRows: true })
  assert.equal(ds.rows, 2)
  assert.match(ds.skipped.examples[1], /line 4: has 4 fields, too few/)
})

test('empty, semicolon-separated, binary and zipped files get one clear line', async (t) => {
  const dir = await tempDir(t)
  const cases: Array<[string, string | Buffer, RegExp]> = [
    ['empty.csv', '', /empty\.csv is empty/],
    ['bom-only.csv', '\uFEFF\n\n', /bom-only\.csv is empty/],
    ['semi.csv', UCI_HEADER.replaceAll(',', ';') + '\n' + ROW(1, '40').replaceAll(',', ';') + '\n', /semi\.csv is separated by semicolons, not commas/],
    ['tabs.csv', UCI_HEADER.replaceAll(',', '\t') + '\n', /tabs\.csv is separated by tabs/],
    ['image.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48]), /image\.csv is a binary file/],
    ['data.csv', Buffer.from([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0]), /data\.csv is a zip archive/],
    ['quote.csv', UCI_HEADER + '\n1,"L1,L,298.1,308.6,1551,40,7,0,0,0,0,0,0\n', /quote\.csv line 2: Quote Not Closed/],
    ['missing.csv', '', /nothing\.csv does not exist/]
  ]
  for (const [name, content, expected] of cases) {
    const path = name === 'missing.csv' ? `${dir}/nothing.csv` : await writeText(dir, name, content)
    await assert.rejects(loadDataset(path), (err: Error) => {
      assert.ok(err instanceof DataError, name)
      assert.match(err.message, expected)
      assert.ok(!err.message.includes('\n'), `${name}: one line`)
      return true
    })
  }
})

test('the command prints bad input as one line on stderr, no stack trace, exit code 1', async (t) => {
  const dir = await tempDir(t)
  const path = await writeText(dir, 'bad.csv', [UCI_HEADER, ROW(1, '40'), ROW(2, 'x')].join('\n') + '\n')
  const run = (args: string[]): { status: number | null, stderr: string, stdout: string } =>
    spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, DEBUG: undefined } })
  const bad = run(['train', '--csv', path, '--out', `${dir}/m.json`, '--log-level', 'silent'])
  assert.equal(bad.status, 1)
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr)
  assert.match(bad.stderr, /^edge-detector train: .*bad\.csv line 3: column "Torque \[Nm\]": "x" is not a number/)
  assert.doesNotMatch(bad.stderr, /\s+at /)

  const binary = await writeText(dir, 'blob.csv', Buffer.alloc(64, 0))
  const model = run(['evaluate', '--model', binary, '--csv', path])
  assert.equal(model.status, 1)
  assert.equal(model.stderr.trim().split('\n').length, 1, model.stderr)

  const trained = run(['train', '--csv', path, '--skip-bad-rows', '--out', `${dir}/m.json`, '--trees', '5', '--log-level', 'silent'])
  assert.equal(trained.status, 0, trained.stderr)
  const unlabelled = run(['evaluate', '--model', `${dir}/m.json`, '--csv', path, '--skip-bad-rows'])
  assert.equal(unlabelled.status, 1)
  assert.match(unlabelled.stderr, /^edge-detector evaluate: .*bad\.csv: all 1 rows are labelled normal; evaluation needs both failures and normal rows\n$/)

  const features = run(['train', '--csv', path, '--features', 'power,noise'])
  assert.equal(features.status, 2)
  assert.match(features.stderr, /^edge-detector train: invalid --features: unknown signal "noise" in feature "noise"; known signals: .*power.*\n$/)

  const usage = run(['train'])
  assert.equal(usage.status, 2)
  assert.match(usage.stderr, /give exactly one of --csv FILE or --download /)

  const synthetic = run(['train', '--synthetic', '20000'])
  assert.equal(synthetic.status, 2)
  assert.match(synthetic.stderr, /^edge-detector train: --synthetic is gone: write simulated readings with `sensor-simulator generate --readings ROWS --out FILE`, then train on them with --csv FILE\n$/)
})

test('a file named by a flag that is not there, or an unknown command, is a configuration mistake: exit code 2, one line', async (t) => {
  const dir = await tempDir(t)
  const run = (args: string[]): { status: number | null, stderr: string } =>
    spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, DEBUG: undefined, MODEL_PATH: undefined } })
  const cases: Array<[string[], RegExp]> = [
    [['--model', `${dir}/none.json`, '--broker-url', 'mqtt://127.0.0.1:1'], /^edge-detector: --model \(MODEL_PATH\): .*none\.json does not exist; train one with `edge-detector train --download --out .*none\.json` .* or `edge-detector train --csv FILE --out .*none\.json`.*npm start.*model-init/],
    [['bogus'], /^edge-detector: unknown command "bogus"; commands: run, train, evaluate, score, baseline$/],
    [['train', '--csv', `${dir}/none.csv`], /^edge-detector train: --csv: .*none\.csv does not exist$/],
    [['evaluate', '--model', `${dir}/none.json`, '--csv', `${dir}/none.csv`], /^edge-detector evaluate: --model \(MODEL_PATH\): .*none\.json does not exist$/]
  ]
  for (const [args, message] of cases) {
    const result = run(args)
    assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`)
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr)
    assert.match(result.stderr.trim(), message)
  }
})
