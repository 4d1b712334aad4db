#!/usr/bin/env node
import { runMain } from '@factory-edge/shared/runtime'
import { main } from '../cli.js'

runMain('factory-broker', () => main(process.argv.slice(2)))
