import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'
import { openCsvRecords, type CsvRecord } from '@factory-edge/shared/data'
import { Random } from '@factory-edge/shared/ml'

async function fileWith (t: { after: (fn: () => Promise<void>) => void }, text: string | Buffer): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fe-csv-'))
  t.after(async () => await rm(dir, { recursive: true, force: true }))
  const path = join(dir, 'data.csv')
  await writeFile(path, text)
  return path
}

async function readAll (path: string, batches = false): Promise<{ rows: CsvRecord[], unreadable: Array<{ line: number, reason: string }> }> {
  const csv = openCsvRecords(path)
  const rows: CsvRecord[] = []
  const unreadable: Array<{ line: number, reason: string }> = []
  try {
    if (batches) for (let b = await csv.nextBatch(); b !== undefined; b = await csv.nextBatch()) rows.push(...b)
    else for (let r = await csv.next(); r !== undefined; r = await csv.next()) rows.push(r)
    unreadable.push(...csv.unreadable())
  } finally {
    csv.close()
  }
  return { rows, unreadable }
}

/** What csv-parse makes of the same text with the options the readers used before (the reference). */
function reference (text: string): Array<{ record: string[], line: number }> {
  return (parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true, info: true }) as unknown as Array<{ record: string[], info: { lines: number } }>)
    .map((r) => ({ record: r.record, line: r.info.lines }))
}

const FIELDS = ['12.5', '-3', '', ' 7 ', 'pump-1', '2026-01-01 00:00:00', 'é°C', '"a, b"', '"say ""hi"""', '"two\nlines"', '"  x  "']

test('rows, fields and line numbers are csv-parse\'s, quotes, line breaks in quotes, CRLF, BOM and chunk boundaries included', async (t) => {
  const random = new Random(7)
  const lines: string[] = []
  // Over a megabyte, so that rows, quoted fields and multi-byte characters cross the reader's chunks;
  // a stretch without quotes, read by the reader's own splitting, then one with them, parsed by csv-parse.
  for (let length = 0; length < 1_400_000;) {
    const plain = length < 800_000
    const line = random.next() < 0.02 ? '' : Array.from({ length: 6 }, () => FIELDS[random.int(plain ? 7 : FIELDS.length)]).join(',')
    lines.push(line)
    length += line.length + 1
  }
  for (const eol of ['\n', '\r\n', '\r']) {
    const text = '\uFEFF' + lines.join(eol) + eol
    const expected = reference(text)
    const path = await fileWith(t, text)
    for (const batches of [false, true]) {
      const { rows, unreadable } = await readAll(path, batches)
      assert.deepEqual(unreadable, [], JSON.stringify(eol))
      // csv-parse also counts a line break inside a quoted field of a `\r` file as a line: only the rows compare there.
      const shown = (r: Array<{ record: string[], line: number }>): string[] => r.map((x) => JSON.stringify(eol === '\r' ? x.record : x))
      const got = shown(rows)
      const want = shown(expected)
      const first = want.findIndex((w, i) => got[i] !== w)
      assert.ok(first === -1 && got.length === want.length, `${JSON.stringify(eol)}: ${got.length} rows for ${want.length}; first difference at ${first}: ${got[first]} instead of ${want[first]}`)
    }
  }
})

test('a last line without a line end is read; blank lines are skipped; a quote never closed is unreadable at the line it opens', async (t) => {
  assert.deepEqual((await readAll(await fileWith(t, 'a,b\n\n  \n1, 2'))).rows, [{ record: ['a', 'b'], line: 1 }, { record: ['1', '2'], line: 4 }])
  // Rows of any length, with and without quotes.
  assert.deepEqual((await readAll(await fileWith(t, 'a,b,c\n1\n"2",3,4,5\n'))).rows, [{ record: ['a', 'b', 'c'], line: 1 }, { record: ['1'], line: 2 }, { record: ['2', '3', '4', '5'], line: 3 }])
  const { rows, unreadable } = await readAll(await fileWith(t, 'a,b\n1,2\n3,"x\n4,5\n'))
  assert.deepEqual(rows, [{ record: ['a', 'b'], line: 1 }, { record: ['1', '2'], line: 2 }])
  assert.equal(unreadable.length, 1)
  assert.equal(unreadable[0].line, 3)
  assert.match(unreadable[0].reason, /Quote Not Closed/)
  assert.deepEqual(await readAll(await fileWith(t, '')), { rows: [], unreadable: [] })
})

test('a file that cannot be read is a DataError naming it', async (t) => {
  const path = join(await fileWith(t, 'x'), 'missing.csv')
  await assert.rejects(readAll(path), (err: Error) => err.name === 'DataError' && err.message.includes(path))
})
