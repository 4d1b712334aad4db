/**
 * The expression language of derived signals: numbers, signal names, + − × ÷ (also written - * /), unary
 * minus, parentheses, abs() and sqrt(). Parsed by hand into a small tree and compiled to postfix code for a stack machine: no
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

const OP_NUMBER = 0
const OP_SIGNAL = 1
const OP_NEGATE = 2
const OP_ABS = 3
const OP_SQRT = 4
const OP_ADD = 5
const OP_SUBTRACT = 6
const OP_MULTIPLY = 7
const OP_DIVIDE = 8
const BINARY_OP: Record<BinaryOperator, number> = { '+': OP_ADD, '-': OP_SUBTRACT, '*': OP_MULTIPLY, '/': OP_DIVIDE }

/**
 * An expression compiled to postfix code for a small stack machine: evaluating it runs one loop over
 * typed arrays. A tree of closures, one per node, would call through megamorphic sites and box every
 * intermediate double it returns (an allocation per node per reading, on the hot path); this evaluates
 * the same operations in the same order, so the results are bit-identical.
 */
export class CompiledExpression {
  /** Pairs of (operation, argument): a constant's index, a signal's index, or 0. */
  private readonly code: Int32Array
  private readonly constants: Float64Array
  private readonly stack: Float64Array

  constructor (expr: Expression) {
    const code: number[] = []
    const constants: number[] = []
    let depth = 0
    let deepest = 0
    const push = (op: number, arg: number, change: number): void => {
      code.push(op, arg)
      depth += change
      deepest = Math.max(deepest, depth)
    }
    const emit = (e: Expression): void => {
      switch (e.kind) {
        case 'number': constants.push(e.value); push(OP_NUMBER, constants.length - 1, 1); break
        case 'signal': push(OP_SIGNAL, e.index, 1); break
        case 'negate': emit(e.operand); push(OP_NEGATE, 0, 0); break
        case 'call': emit(e.argument); push(e.name === 'abs' ? OP_ABS : OP_SQRT, 0, 0); break
        case 'binary': emit(e.left); emit(e.right); push(BINARY_OP[e.operator], 0, -1); break
      }
    }
    emit(expr)
    this.code = Int32Array.from(code)
    this.constants = Float64Array.from(constants)
    this.stack = new Float64Array(Math.max(1, deepest))
  }

  /** The expression's value over the values of a reading's signals (indexed as when parsed). */
  evaluate (values: Float64Array): number {
    const code = this.code
    const stack = this.stack
    let top = -1
    for (let pc = 0; pc < code.length; pc += 2) {
      switch (code[pc]) {
        case OP_NUMBER: stack[++top] = this.constants[code[pc + 1]]; break
        case OP_SIGNAL: stack[++top] = values[code[pc + 1]]; break
        case OP_NEGATE: stack[top] = -stack[top]; break
        case OP_ABS: stack[top] = Math.abs(stack[top]); break
        case OP_SQRT: stack[top] = Math.sqrt(stack[top]); break
        case OP_ADD: stack[top - 1] = stack[top - 1] + stack[top]; top--; break
        case OP_SUBTRACT: stack[top - 1] = stack[top - 1] - stack[top]; top--; break
        case OP_MULTIPLY: stack[top - 1] = stack[top - 1] * stack[top]; top--; break
        case OP_DIVIDE: stack[top - 1] = stack[top - 1] / stack[top]; top--; break
      }
    }
    return stack[0]
  }
}

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
 * Compiles an expression for evaluation over a Float64Array of signal values: no allocation per
 * evaluation. A missing (NaN) input gives NaN; so do sqrt of a negative number and 0/0 (IEEE 754).
 */
export function compileExpression (expr: Expression): CompiledExpression {
  return new CompiledExpression(expr)
}
