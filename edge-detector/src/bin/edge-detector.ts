#!/usr/bin/env node
import { runMain } from '@factory-edge/shared'
import { evaluateCommand } from '../cli/evaluate.js'
import { trainCommand } from '../cli/train.js'

const COMMANDS: Record<string, (argv: readonly string[]) => Promise<void>> = {
  train: trainCommand,
  evaluate: evaluateCommand
}

const [command, ...rest] = process.argv.slice(2)
const run = command === undefined ? undefined : COMMANDS[command]
if (run === undefined) {
  process.stderr.write(`Usage: edge-detector <${Object.keys(COMMANDS).join('|')}> [options]; add --help to a command for its options\n`)
  process.exit(command === undefined || command === '--help' || command === '-h' ? 0 : 2)
}
runMain(`edge-detector ${command}`, async () => await run(rest))
