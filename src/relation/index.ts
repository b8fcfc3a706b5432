// modelwatch/relation: relation hook queues. Turns a relation units watcher's changes into the
// ordered relation hooks a charm relies on, validates each against committed state, and keeps that
// state on disk so a restarted agent resumes where its last committed hook left off.

export type { HookKind, HookInfo, RelationUnitsChange, RelationUnitsWatcher } from './hook.js';
export { isUnitName, validateHookInfo, validateRelationUnitsChange } from './hook.js';
export { RelationState, commitHook } from './relation-state.js';
export { StateDir, readAllStateDirs } from './state-dir.js';
export type { HookSource } from './hook-source.js';
export { newLiveHookSource } from './live-source.js';
export { newDyingHookSource, newListSource } from './list-source.js';
export type { HookSender, HookSenderOptions, HookSenderWorker } from './hook-sender.js';
export { newHookSender } from './hook-sender.js';
export type { Peek, Peeker } from './peeker.js';
export { newPeeker } from './peeker.js';
export type { Schedule, ScheduleEvent, ScheduledHook, UnitRecord } from './schedule.js';
export { newSchedule, step as stepSchedule, nextHook, isEmpty as isScheduleEmpty } from './schedule.js';
