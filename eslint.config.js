// One lint for the whole tree: every workspace's src/ and test/, bench/, scripts/ and the committed bin shims.
// neostandard is the flat-config successor of `standard`, the style the code is written in; with `ts: true`
// it brings typescript-eslint's parser and the TypeScript versions of its rules. No type-aware rules: they
// need a TypeScript program per workspace, and `tsc -b` already checks the types in the same `npm test`.
import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    noJsx: true,
    // Build output, run output and data, as in .gitignore; none of it is written by hand.
    ignores: ['**/dist/', '**/dist-pi/', '**/results/', '**/coverage/', 'data/']
  }),
  {
    name: 'factory-edge/house-style',
    rules: {
      // `void promise` is how the code marks a promise it deliberately does not await (timers, watchers).
      'no-void': ['error', { allowAsStatement: true }]
    }
  },
  {
    name: 'factory-edge/typescript',
    files: ['**/*.ts'],
    rules: {
      // A TypeBox schema and its Static type share one name on purpose (`Telemetry` the value and the type);
      // a real redeclaration is a compile error (TS2451), so tsc already catches what this rule would.
      '@typescript-eslint/no-redeclare': 'off'
    }
  }
]
