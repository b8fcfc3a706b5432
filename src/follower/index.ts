// modelwatch/follower: filtered views of entities with add/update/delete callbacks (watchEntities,
// simpleFollower), a single-entity watch (watchEntity), and fromWatcher, which feeds both from a
// multiwatcher watcher. Semantics: spec/follower.md; guide: docs/follower.md.

export type { WatchEvent, EntitySource } from './watch-event.js';
export type { Follower, SimpleFollowerConfig } from './follower.js';
export { simpleFollower } from './follower.js';
export type { FollowerCallbackName } from './callback-error.js';
export { FollowerCallbackError } from './callback-error.js';
export type { WatchEntitiesOptions } from './watch-entities.js';
export { watchEntities } from './watch-entities.js';
export type { EntityWatcher, WatchEntityOptions } from './watch-entity.js';
export { watchEntity, WATCHER_CLOSED, ENTITY_SOURCE_ENDED } from './watch-entity.js';
export type { DeltaSource } from './from-watcher.js';
export { fromWatcher, ENTITY_SOURCE_IN_USE } from './from-watcher.js';
export type { FollowerCall, FollowerView, FollowerJudge, OriginEntry } from './reconcile.js';
export { reconcile, applyCall, originSlice, emptyView } from './reconcile.js';
export { EntityMap } from './entity-map.js';
