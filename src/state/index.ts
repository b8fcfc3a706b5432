// modelwatch/state: entities and a gap-free change log on SQLite (embedded) or PostgreSQL (shared by
// many controllers), and the backing that feeds the multiwatcher (spec/state.md).

export type { State, StateOp, ChangeRecord, OpenStateOptions, Retention, ListPageQuery, ListPage } from './state.js';
export { MAX_PAGE_LIMIT } from './state.js';
export type { OpenStateInternalOptions, StateLocation } from './open-state.js';
/**
 * Opens `sqlite:<path>`, `sqlite::memory:` or `postgres://…` (`postgresql://…`), migrating its schema.
 * @throws ModelwatchError NotValid for a bad URL/options or a database newer than this code.
 */
export { openState, parseStateUrl } from './open-state.js';
export type { StateLimits } from './limits.js';
/** Other processes writing one SQLite file (`serve --workers`): rings cross to them (extension). */
export type { PeerRing, SqlitePeers } from './peers.js';
export type { StoredChange } from './driver.js';
/** Default limits (retention 10 min / 1,000,000 revisions, poll 1 s, NOTIFY coalescing 10 ms, …). */
export { DEFAULT_LIMITS, MAX_RETENTION_MS, MAX_TIMER_MS } from './limits.js';
export type { Migration } from './schema/migrations.js';
/** Ordered schema migrations and the version this code writes (append-only). */
export { MIGRATIONS, SCHEMA_VERSION } from './schema/migrations.js';
export type { StateManifoldConfig } from './manifold.js';
/**
 * `stateManifold(config)`: a dependency-engine manifold (no inputs) whose output is the State; kill
 * closes it. Throws NotValidError "missing URL not valid" / "missing Clock not valid" / "missing Logger not valid".
 */
export { stateManifold, StateWorker } from './manifold.js';
/**
 * Users, model access and agent credentials (schema migration 3) and REST bearer tokens as SHA-256
 * digests (migration 4): the UserStore the auth service uses.
 */
export type { UserStore, UserRecord, UserPatch, ModelAccessRecord, UserModelAccess, UserControllerAccess, TokenRecord, TokenPutResult } from './users/index.js';
export { MemoryUserStore, SqliteUserStore, PostgresUserStore } from './users/index.js';
