#!/usr/bin/env node
import { runMain } from '@factory-edge/shared/runtime'
import { runCommand } from '../cli/run.js'

/** Sub-commands other than `run` (the default: the detector service), loaded only when chosen. */
const COMMANDS: Record<string, (argv: readonly string[]) => Promise<void>> = {
  train: async (argv) => await (await import('../cli/train.js')).trainCommand(argv),
  evaluate: async (argv) => await (await import('../cli/evaluate.js')).evaluateCommand(argv),
  score: async (argv) => await (await import('../cli/score.js')).scoreCommand(argv),
  baseline: async (argv) => await (await import('../cli/baseline.js')).baselineCommand(argv)
}

const [command, ...rest] = process.argv.slice(2)
const sub = command === undefined ? undefined : COMMANDS[command]
if (sub !== undefined) runMain(`edge-detector ${command}`, async () => await sub(rest))
else runMain('edge-detector', async () => await runCommand(command === 'run' ? rest : process.argv.slice(2), ['run', ...Object.keys(COMMANDS)]))
