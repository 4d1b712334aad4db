#!/usr/bin/env node
// Committed so that npm links the command at install time, before the build has written dist/.
import '../dist/src/bin/factory-edge.js'
