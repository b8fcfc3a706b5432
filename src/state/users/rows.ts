// The users tables' rows as both SQL backends read them, and their records. PostgreSQL returns the
// bigint created_at, issued_at and expires_at as text, SQLite as a number.
import type { ModelAccessRecord, TokenRecord, UserControllerAccess, UserModelAccess, UserRecord } from './user-store.js';

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

/** The bearer_tokens columns read back, in the order of TokenRow. */
export const TOKEN_COLS = 'digest, kind, tag, model_uuid, issued_at, expires_at';

export type TokenRow = { digest: string; kind: string; tag: string; model_uuid: string | null; issued_at: number | string; expires_at: number | string };

/** A token row as its record; an agent row always has a model (the table's CHECK). */
export function tokenOf(r: TokenRow): TokenRecord {
  const common = { digest: r.digest, tag: r.tag, issuedAt: Number(r.issued_at), expiresAt: Number(r.expires_at) };
  return r.kind === 'agent' ? { ...common, kind: 'agent', modelUUID: r.model_uuid ?? '' } : { ...common, kind: 'user' };
}

/** The values of an INSERT of TOKEN_COLS, in order. */
export function tokenValues(t: TokenRecord): [string, string, string, string | null, number, number] {
  return [t.digest, t.kind, t.tag, t.kind === 'agent' ? t.modelUUID : null, t.issuedAt, t.expiresAt];
}
