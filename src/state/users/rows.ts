// The users tables' rows as both SQL backends read them, and their records. PostgreSQL returns the
// bigint created_at as text, SQLite as a number.
import type { ModelAccessRecord, UserControllerAccess, UserModelAccess, UserRecord } from './user-store.js';

/** The users columns, in the order of UserRow. */
export const USER_COLS = 'name, display_name, password_hash, controller_access, created_at';

export type UserRow = { name: string; display_name: string; password_hash: string; controller_access: string; created_at: number | string };
export type GrantRow = { user_name: string; model_uuid: string; access: string };

export function userOf(r: UserRow): UserRecord {
  return {
    name: r.name,
    displayName: r.display_name,
    passwordHash: r.password_hash,
    controllerAccess: r.controller_access as UserControllerAccess,
    createdAt: Number(r.created_at),
  };
}

export function grantOf(r: GrantRow): ModelAccessRecord {
  return { user: r.user_name, modelUUID: r.model_uuid, access: r.access as UserModelAccess };
}
