#!/usr/bin/env node
import { runMain } from '@factory-edge/shared/runtime'
import { main } from '../cli.js'

runMain('sensor-simulator', () => main(process.argv.slice(2)))
