// Users, their model access and agents' credentials: the UserStore seam the API's auth service
// uses, in memory and on the state's SQLite or PostgreSQL database (tables of schema migration 3).

export type { UserStore, UserRecord, UserPatch, ModelAccessRecord, UserModelAccess, UserControllerAccess } from './user-store.js';
export { MemoryUserStore } from './memory-user-store.js';
export { SqliteUserStore } from './sqlite-user-store.js';
export { PostgresUserStore } from './postgres-user-store.js';
