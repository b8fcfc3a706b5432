// modelwatch/relation testing helpers: in-memory relation units watchers for tests of the relation
// module and of the agent (never imported by library code).
export { FakeRelationUnitsWatcher } from './fake-watcher.js';
export { MemoryRelationUnits } from './memory-relation-units.js';
export type { HookBuilders } from './hooks.js';
export { hooksFor, unitsChange, drainSource } from './hooks.js';
