// The SQL PresenceStores (spec/presence.md §3.4–3.6) on the state's databases: SQLite shares the
// state's connection; PostgreSQL has its own small pool and a LISTEN connection for the doorbell.
// Reached through `State.presenceStore()`.

/** PresenceStore on the state's better-sqlite3 connection (in-process doorbell). */
export { SqlitePresenceStore } from './sqlite-presence-store.js';
/** PresenceStore on PostgreSQL (unnest OR-upserts, NOTIFY/LISTEN doorbell `modelwatch_presence`). */
export { PostgresPresenceStore, PRESENCE_CHANNEL } from './postgres-presence-store.js';
export type { PostgresPresenceStoreConfig } from './postgres-presence-store.js';
