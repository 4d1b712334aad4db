import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compileExpression, ExpressionError, expressionSignals, parseExpression } from '../../src/profiles/expression.js'

const SIGNALS = ['flow', 'pressure', 'current']
const values = Float64Array.from([4, 3, 2])
const evaluate = (text: string, v = values): number => compileExpression(parseExpression(text, SIGNALS)).evaluate(v)

function rejects (text: string, message: RegExp, position: number): void {
  assert.throws(() => parseExpression(text, SIGNALS), (err: unknown) => {
    assert.ok(err instanceof ExpressionError, `${text}: ${String(err)}`)
    assert.match(err.message, message, text)
    assert.equal(err.position, position, `${text}: ${err.message}`)
    assert.equal(err.exitCode, 2)
    return true
  })
}

test('precedence: × and ÷ before + and −, left to right, unary minus, parentheses', () => {
  assert.equal(evaluate('flow + pressure * current'), 10)
  assert.equal(evaluate('(flow + pressure) * current'), 14)
  assert.equal(evaluate('flow - pressure - current'), -1)
  assert.equal(evaluate('flow / current / current'), 1)
  assert.equal(evaluate('-flow * -pressure'), 12)
  assert.equal(evaluate('- -flow'), 4)
  assert.equal(evaluate('flow × pressure ÷ current − 1'), 5)
  assert.equal(evaluate('2.5e1 + .5 + 1.'), 26.5)
  assert.equal(evaluate('abs(current - flow) + sqrt(flow)'), 4)
  assert.equal(evaluate('  sqrt ( abs ( -16 ) )  '), 4)
})

test('missing values and impossible arithmetic give NaN, not an exception', () => {
  assert.ok(Number.isNaN(evaluate('flow * pressure', Float64Array.from([NaN, 3, 2]))))
  assert.ok(Number.isNaN(evaluate('sqrt(-flow)')))
  assert.equal(evaluate('flow / 0'), Infinity)
})

test('the signals an expression reads', () => {
  assert.deepEqual([...expressionSignals(parseExpression('abs(current) * (current - flow) + 3', SIGNALS))].sort(), [0, 2])
})

test('mistakes are refused with their column', () => {
  rejects('', /empty/, 0)
  rejects('flow +', /ends where a number/, 6)
  rejects('flow pressure', /unexpected "p" \(column 6\)/, 5)
  rejects('(flow + 1', /"\(" at column 1 is not closed/, 9)
  rejects('flow * )', /unexpected "\)"/, 7)
  rejects('flw * 2', /unknown signal "flw" \(did you mean "flow"\?\)/, 0)
  rejects('log(flow)', /unknown function "log"; allowed: abs, sqrt/, 0)
  rejects('flow ^ 2', /unexpected "\^"/, 5)
  rejects('sqrt(flow, 2)', /expected "\)", found ","/, 9)
  rejects('1'.repeat(501), /longer than 500/, 500)
  rejects('('.repeat(100) + '1' + ')'.repeat(100), /nested more than 40/, 40)
})

test('no code runs: property access, calls of anything else and prototype names are refused', () => {
  rejects('process.exit(1)', /unknown function|unknown signal "process"/, 0)
  rejects('flow.constructor', /"\." is not allowed/, 4)
  rejects('constructor', /unknown signal "constructor"/, 0)
  rejects('__proto__ * 2', /unknown signal "__proto__"/, 0)
  rejects('toString(flow)', /unknown function "toString"/, 0)
  rejects('flow; process.exit(1)', /unexpected ";"/, 4)
  rejects('`flow`', /unexpected "`"/, 0)
  rejects('flow["x"]', /unexpected "\["/, 4)
})
