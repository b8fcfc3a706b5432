// The UserStore on the state's PostgreSQL database (tables of migration "users, model access and
// agent credentials"). Uses the driver's synchronous-commit pool: a resolved write is durable.
// Key columns are COLLATE "C", so listings are in code-unit order as on SQLite and in memory.
import type { Pool } from 'pg';
import { ModelwatchError } from '../../core/index.js';
import { USER_COLS, grantOf, userOf } from './rows.js';
import type { GrantRow, UserRow } from './rows.js';
import type { ModelAccessRecord, UserModelAccess, UserPatch, UserRecord, UserStore } from './user-store.js';

/** Users, grants and agent credentials in PostgreSQL. */
export class PostgresUserStore implements UserStore {
  readonly #pool: Pool;

  /** `pool` connects to a migrated database; the state's driver owns and ends it. */
  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async getUser(name: string): Promise<UserRecord | undefined> {
    const r = await this.#pool.query<UserRow>(`SELECT ${USER_COLS} FROM users WHERE name = $1`, [name]);
    const row = r.rows[0];
    return row === undefined ? undefined : userOf(row);
  }

  async listUsers(): Promise<UserRecord[]> {
    return (await this.#pool.query<UserRow>(`SELECT ${USER_COLS} FROM users ORDER BY name`)).rows.map(userOf);
  }

  async countUsers(): Promise<number> {
    return Number((await this.#pool.query<{ n: string }>('SELECT count(*) AS n FROM users')).rows[0]?.n ?? 0);
  }

  async addUser(u: UserRecord): Promise<void> {
    const r = await this.#pool.query(`INSERT INTO users (${USER_COLS}) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING`, [
      u.name, u.displayName, u.passwordHash, u.controllerAccess, u.createdAt,
    ]);
    if (r.rowCount === 0) throw new ModelwatchError('AlreadyExists', `user "${u.name}" already exists`);
  }

  async removeUser(name: string): Promise<boolean> {
    // model_access rows go with it (ON DELETE CASCADE).
    return ((await this.#pool.query('DELETE FROM users WHERE name = $1', [name])).rowCount ?? 0) > 0;
  }

  async updateUser(name: string, patch: UserPatch): Promise<boolean> {
    const r = await this.#pool.query(
      `UPDATE users SET display_name = coalesce($1, display_name), password_hash = coalesce($2, password_hash),
        controller_access = coalesce($3, controller_access) WHERE name = $4`,
      [patch.displayName ?? null, patch.passwordHash ?? null, patch.controllerAccess ?? null, name],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async getModelAccess(user: string, modelUUID: string): Promise<UserModelAccess | undefined> {
    const r = await this.#pool.query<{ access: string }>('SELECT access FROM model_access WHERE user_name = $1 AND model_uuid = $2', [user, modelUUID]);
    return r.rows[0]?.access as UserModelAccess | undefined;
  }

  async setModelAccess(user: string, modelUUID: string, access: UserModelAccess): Promise<void> {
    try {
      await this.#pool.query(
        `INSERT INTO model_access (user_name, model_uuid, access) VALUES ($1, $2, $3)
          ON CONFLICT (user_name, model_uuid) DO UPDATE SET access = excluded.access`,
        [user, modelUUID, access],
      );
    } catch (err) {
      // 23503: foreign_key_violation (no such user).
      if ((err as { code?: unknown }).code === '23503') throw new ModelwatchError('NotFound', `user "${user}" not found`);
      throw err;
    }
  }

  async removeModelAccess(user: string, modelUUID: string): Promise<boolean> {
    const r = await this.#pool.query('DELETE FROM model_access WHERE user_name = $1 AND model_uuid = $2', [user, modelUUID]);
    return (r.rowCount ?? 0) > 0;
  }

  async listModelAccess(filter: { user?: string; modelUUID?: string } = {}): Promise<ModelAccessRecord[]> {
    const r = await this.#pool.query<GrantRow>(
      `SELECT user_name, model_uuid, access FROM model_access
        WHERE ($1::text IS NULL OR user_name = $1) AND ($2::text IS NULL OR model_uuid = $2)
        ORDER BY user_name, model_uuid`,
      [filter.user ?? null, filter.modelUUID ?? null],
    );
    return r.rows.map(grantOf);
  }

  async getAgentCredential(modelUUID: string, tag: string): Promise<string | undefined> {
    const r = await this.#pool.query<{ password_hash: string }>('SELECT password_hash FROM agent_credentials WHERE model_uuid = $1 AND tag = $2', [modelUUID, tag]);
    return r.rows[0]?.password_hash;
  }

  async setAgentCredential(modelUUID: string, tag: string, passwordHash: string): Promise<void> {
    await this.#pool.query(
      `INSERT INTO agent_credentials (model_uuid, tag, password_hash) VALUES ($1, $2, $3)
        ON CONFLICT (model_uuid, tag) DO UPDATE SET password_hash = excluded.password_hash`,
      [modelUUID, tag, passwordHash],
    );
  }

  async removeAgentCredential(modelUUID: string, tag: string): Promise<boolean> {
    const r = await this.#pool.query('DELETE FROM agent_credentials WHERE model_uuid = $1 AND tag = $2', [modelUUID, tag]);
    return (r.rowCount ?? 0) > 0;
  }

  async forgetModel(modelUUID: string): Promise<void> {
    // One statement, so both deletions commit together.
    await this.#pool.query(
      `WITH a AS (DELETE FROM model_access WHERE model_uuid = $1) DELETE FROM agent_credentials WHERE model_uuid = $1`,
      [modelUUID],
    );
  }
}
