import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatDecimal } from '../../src/pipeline/line-protocol.js'

test('formatDecimal rounds to the given decimals and matches the number it stands for', () => {
  const cases: Array<[number, number, string]> = [
    [0, 4, '0'], [7, 6, '7'], [-3, 2, '-3'], [-1.5, 4, '-1.5'], [1234.56789, 4, '1234.5679'], [0.123456789, 6, '0.123457'],
    [0.0004, 4, '0.0004'], [-0.0004, 4, '-0.0004'], [-0.00004, 4, '0'], [12.00001, 4, '12'], [99.99999, 4, '100'], [1e20, 4, '100000000000000000000']
  ]
  for (const [x, digits, text] of cases) assert.equal(formatDecimal(x, digits), text, `${x} at ${digits}`)
  for (let i = 0; i < 10_000; i++) {
    const x = (Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 8)
    const text = formatDecimal(x, 4)
    assert.ok(Math.abs(Number(text) - x) <= 0.00005 + 1e-9 * Math.abs(x), `${x} -> ${text}`)
    assert.match(text, /^-?\d+(\.\d*[1-9])?$/)
  }
})
