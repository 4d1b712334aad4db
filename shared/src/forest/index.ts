export * from './path-length.js'
export * from './isolation-forest.js'
export type { LayoutMode } from './forest-layout.js'
