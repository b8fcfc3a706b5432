// Users, their model access, agents' credentials and REST bearer tokens: the UserStore seam the API's
// auth service uses, in memory and on the state's SQLite or PostgreSQL database (tables of schema
// migrations 3 and 4).

export type { UserStore, UserRecord, UserPatch, ModelAccessRecord, UserModelAccess, UserControllerAccess, TokenRecord, TokenPutResult } from './user-store.js';
export { MemoryUserStore } from './memory-user-store.js';
export { SqliteUserStore } from './sqlite-user-store.js';
export { PostgresUserStore } from './postgres-user-store.js';
