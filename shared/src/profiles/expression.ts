/**
 * The expression language of derived signals: numbers, signal names, + − × ÷ (also written - * /), unary
 * minus, parentheses, abs() and sqrt(). Parsed by hand into a small tree and compiled to closures: no
 * eval, no `new Function`, no property access, so a profiles file cannot run code (`process.exit(1)` is a
 * syntax error at the dot, `constructor` an unknown signal).
 */
import { ExpressionError } from '../errors.js'
import { nearestOption } from '../runtime/config/suggest.js'

export { ExpressionError }

export type BinaryOperator = '+' | '-' | '*' | '/'
export type FunctionName = 'abs' | 'sqrt'

export type Expression =
  | { kind: 'number', value: number }
  | { kind: 'signal', name: string, index: number }
  | { kind: 'negate', operand: Expression }
  | { kind: 'binary', operator: BinaryOperator, left: Expression, right: Expression }
  | { kind: 'call', name: FunctionName, argument: Expression }

/** Evaluates an expression over the values of a reading's signals (indexed as when parsed). */
export type CompiledExpression = (values: Float64Array) => number

const FUNCTIONS: readonly FunctionName[] = ['abs', 'sqrt']
/** Longer texts or deeper nesting are refused rather than risking a stack overflow on a hostile file. */
const MAX_LENGTH = 500
const MAX_DEPTH = 40
const OPERATOR_OF: Record<string, BinaryOperator> = { '+': '+', '-': '-', '−': '-', '*': '*', '×': '*', '/': '/', '÷': '/' }
const NUMBER = /\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?/y
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y

class Parser {
  private pos = 0
  private depth = 0

  constructor (private readonly text: string, private readonly signals: readonly string[]) {}

  parse (): Expression {
    if (this.text.length > MAX_LENGTH) this.fail(`expression is longer than ${MAX_LENGTH} characters`, MAX_LENGTH)
    this.skipSpace()
    if (this.pos === this.text.length) this.fail('expression is empty', 0)
    const expr = this.sum()
    this.skipSpace()
    if (this.pos < this.text.length) this.fail(`unexpected "${this.text[this.pos]}"`, this.pos)
    return expr
  }

  private sum (): Expression {
    let left = this.product()
    for (;;) {
      const op = this.operator('+', '-')
      if (op === undefined) return left
      left = { kind: 'binary', operator: op, left, right: this.product() }
    }
  }

  private product (): Expression {
    let left = this.unary()
    for (;;) {
      const op = this.operator('*', '/')
      if (op === undefined) return left
      left = { kind: 'binary', operator: op, left, right: this.unary() }
    }
  }

  private unary (): Expression {
    if (++this.depth > MAX_DEPTH) this.fail(`expression is nested more than ${MAX_DEPTH} levels deep`, this.pos)
    const negate = this.operator('-') !== undefined
    const expr = negate ? { kind: 'negate' as const, operand: this.unary() } : this.primary()
    this.depth--
    return expr
  }

  private primary (): Expression {
    this.skipSpace()
    const start = this.pos
    if (this.pos === this.text.length) this.fail('expression ends where a number, a signal or "(" was expected', start)
    if (this.text[this.pos] === '(') {
      this.pos++
      const inner = this.sum()
      this.expect(')', start)
      return inner
    }
    NUMBER.lastIndex = start
    const number = NUMBER.exec(this.text)
    if (number !== null) {
      this.pos = NUMBER.lastIndex
      return { kind: 'number', value: Number(number[0]) }
    }
    NAME.lastIndex = start
    const name = NAME.exec(this.text)
    if (name === null) this.fail(`unexpected "${this.text[start]}" where a number, a signal or "(" was expected`, start)
    this.pos = NAME.lastIndex
    const id = name[0]
    this.skipSpace()
    if (this.text[this.pos] === '(') {
      if (!(FUNCTIONS as readonly string[]).includes(id)) this.fail(`unknown function "${id}"; allowed: ${FUNCTIONS.join(', ')}`, start)
      const open = this.pos++
      const argument = this.sum()
      this.expect(')', open)
      return { kind: 'call', name: id as FunctionName, argument }
    }
    const index = this.signals.indexOf(id)
    if (index === -1) {
      const near = nearestOption(id, this.signals)
      const hint = near === undefined ? '' : ` (did you mean "${near}"?)`
      this.fail(`unknown signal "${id}"${hint}; known: ${this.signals.join(', ') || 'none'}`, start)
    }
    if (this.text[this.pos] === '.') this.fail('"." is not allowed: an expression has no properties or methods', this.pos)
    return { kind: 'signal', name: id, index }
  }

  /** Consumes one of the operators (in any of its spellings) and returns it. */
  private operator (...allowed: BinaryOperator[]): BinaryOperator | undefined {
    this.skipSpace()
    const op = OPERATOR_OF[this.text[this.pos]]
    if (op === undefined || !allowed.includes(op)) return undefined
    this.pos++
    return op
  }

  private expect (char: string, openedAt: number): void {
    this.skipSpace()
    if (this.text[this.pos] !== char) {
      this.fail(this.pos === this.text.length ? `"(" at column ${openedAt + 1} is not closed` : `expected "${char}", found "${this.text[this.pos]}"`, this.pos)
    }
    this.pos++
  }

  private skipSpace (): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++
  }

  private fail (message: string, position: number): never {
    throw new ExpressionError(`${message} (column ${position + 1})`, position)
  }
}

/**
 * Parses an expression over the given signals (a name's index in `signals` is where its value is read
 * from when evaluated). Throws an ExpressionError with the position of the first problem.
 */
export function parseExpression (text: string, signals: readonly string[]): Expression {
  return new Parser(text, signals).parse()
}

/** The indices of the signals an expression reads. */
export function expressionSignals (expr: Expression, into = new Set<number>()): Set<number> {
  switch (expr.kind) {
    case 'signal': into.add(expr.index); break
    case 'negate': expressionSignals(expr.operand, into); break
    case 'call': expressionSignals(expr.argument, into); break
    case 'binary': expressionSignals(expr.left, into); expressionSignals(expr.right, into); break
  }
  return into
}

/**
 * Compiles an expression to a closure over a Float64Array of signal values: no allocation per
 * evaluation. A missing (NaN) input gives NaN; so do sqrt of a negative number and 0/0 (IEEE 754).
 */
export function compileExpression (expr: Expression): CompiledExpression {
  switch (expr.kind) {
    case 'number': {
      const value = expr.value
      return () => value
    }
    case 'signal': {
      const index = expr.index
      return (v) => v[index]
    }
    case 'negate': {
      const operand = compileExpression(expr.operand)
      return (v) => -operand(v)
    }
    case 'call': {
      const argument = compileExpression(expr.argument)
      return expr.name === 'abs' ? (v) => Math.abs(argument(v)) : (v) => Math.sqrt(argument(v))
    }
    case 'binary': {
      const left = compileExpression(expr.left)
      const right = compileExpression(expr.right)
      switch (expr.operator) {
        case '+': return (v) => left(v) + right(v)
        case '-': return (v) => left(v) - right(v)
        case '*': return (v) => left(v) * right(v)
        case '/': return (v) => left(v) / right(v)
      }
    }
  }
}
