#!/usr/bin/env node
// Builds the Raspberry Pi bundle: one CommonJS file that runs with a plain `node` >= 18, no node_modules,
// no native modules. Run through `npm run build:pi` (which compiles the workspaces first).
import { build } from 'esbuild'
import { mkdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
// `--outfile PATH` writes elsewhere (the bundle test builds into a temporary directory).
const at = process.argv.indexOf('--outfile')
const outfile = at === -1 ? join(root, 'dist-pi', 'sensor-simulator.cjs') : process.argv[at + 1]
mkdirSync(dirname(outfile), { recursive: true })
const result = await build({
  entryPoints: [join(root, 'dist', 'src', 'bin', 'sensor-simulator.js')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  minify: true,
  sourcemap: false,
  legalComments: 'eof',
  // Optional modules their users load in a try/catch: ws's native speed-ups, debug's colour detection.
  external: ['bufferutil', 'utf-8-validate', 'supports-color'],
  // `--version` prints this: the bundle runs without the package.json it would read. The one
  // `import.meta.url` (where that package.json is) sits on the branch this makes dead, so its warning is not one.
  define: { BUNDLED_VERSION: JSON.stringify(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version) },
  logOverride: { 'empty-import-meta': 'silent' },
  logLevel: 'warning',
  metafile: true
})
const kb = Math.round(statSync(outfile).size / 1024)
process.stdout.write(`wrote ${outfile} (${kb} KiB, ${Object.keys(result.metafile.inputs).length} modules)\n`)
