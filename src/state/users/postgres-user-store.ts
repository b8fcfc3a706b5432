// The UserStore on the state's PostgreSQL database (tables of migrations "users, model access and
// agent credentials" and "REST bearer tokens"). Uses the driver's synchronous-commit pool: a resolved
// write is durable, and every controller on the database sees it. Key columns are COLLATE "C", so
// listings are in code-unit order as on SQLite and in memory. Each method is one statement, so it
// commits whole without holding a pooled client across awaits.
import type { Pool } from 'pg';
import { ModelwatchError } from '../../core/index.js';
import { TOKEN_COLS, USER_COLS, grantOf, tokenOf, tokenValues, userOf } from './rows.js';
import type { GrantRow, TokenRow, UserRow } from './rows.js';
import type { ModelAccessRecord, TokenPutResult, TokenRecord, UserModelAccess, UserPatch, UserRecord, UserStore } from './user-store.js';

/**
 * putToken in one statement. Every CTE sees the table as it was before the statement, so the new row
 * is never a candidate for deletion. Steps: 1. insert the token ($1–$6); 2. `before` counts the table
 * once (a full count: read by both `over` and the answer); 3. `over` is how many tokens pass the
 * bound $7 with it in (0 when it was not inserted: nothing else changes); 4. when over, delete the
 * expired ones (expires_at <= issued_at $5); 5. then the oldest live ones by seq (issue order) until
 * the bound holds. Two controllers issuing at once each count without the other's insert, so the
 * table may pass the bound by one token per concurrent issue until the next one.
 */
const PUT_TOKEN_SQL = `
WITH ins AS (
  INSERT INTO bearer_tokens (${TOKEN_COLS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (digest) DO NOTHING RETURNING seq
), before AS (
  SELECT count(*) AS n FROM bearer_tokens
), over AS (
  SELECT CASE WHEN EXISTS (SELECT 1 FROM ins) THEN (SELECT n FROM before) + 1 - $7 ELSE 0 END AS n
), expired AS (
  DELETE FROM bearer_tokens WHERE (SELECT n FROM over) > 0 AND expires_at <= $5 RETURNING seq
), oldest AS (
  DELETE FROM bearer_tokens WHERE seq IN (
    SELECT seq FROM bearer_tokens WHERE expires_at > $5 ORDER BY seq
    LIMIT greatest(0, (SELECT n FROM over) - (SELECT count(*) FROM expired)))
  RETURNING seq
)
SELECT (SELECT count(*) FROM ins) AS inserted, (SELECT n FROM before) AS before,
  (SELECT count(*) FROM expired) + (SELECT count(*) FROM oldest) AS dropped`;

/** Users, grants, agent credentials and bearer tokens in PostgreSQL. */
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
    // model_access rows go with it (ON DELETE CASCADE); the tokens in the same statement.
    const r = await this.#pool.query(
      `WITH t AS (DELETE FROM bearer_tokens WHERE kind = 'user' AND tag = 'user-' || $1) DELETE FROM users WHERE name = $1`,
      [name],
    );
    return (r.rowCount ?? 0) > 0;
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
    // One statement, so the three deletions commit together.
    await this.#pool.query(
      `WITH a AS (DELETE FROM model_access WHERE model_uuid = $1),
        t AS (DELETE FROM bearer_tokens WHERE kind = 'agent' AND model_uuid = $1)
        DELETE FROM agent_credentials WHERE model_uuid = $1`,
      [modelUUID],
    );
  }

  async putToken(token: TokenRecord, maxTokens: number): Promise<TokenPutResult> {
    type Counts = { inserted: string; before: string; dropped: string };
    const r = (await this.#pool.query<Counts>(PUT_TOKEN_SQL, [...tokenValues(token), maxTokens])).rows[0];
    if (r === undefined || Number(r.inserted) === 0) throw new ModelwatchError('AlreadyExists', 'token already stored');
    const dropped = Number(r.dropped);
    return { count: Number(r.before) + 1 - dropped, dropped };
  }

  async getToken(digest: string): Promise<TokenRecord | undefined> {
    const row = (await this.#pool.query<TokenRow>(`SELECT ${TOKEN_COLS} FROM bearer_tokens WHERE digest = $1`, [digest])).rows[0];
    return row === undefined ? undefined : tokenOf(row);
  }

  async deleteToken(digest: string): Promise<boolean> {
    return (await this.#deleted('DELETE FROM bearer_tokens WHERE digest = $1', [digest])) > 0;
  }

  deleteUserTokens(tag: string): Promise<number> {
    return this.#deleted("DELETE FROM bearer_tokens WHERE kind = 'user' AND tag = $1", [tag]);
  }

  deleteAgentTokens(modelUUID: string, tag: string): Promise<number> {
    return this.#deleted("DELETE FROM bearer_tokens WHERE kind = 'agent' AND model_uuid = $1 AND tag = $2", [modelUUID, tag]);
  }

  deleteModelTokens(modelUUID: string): Promise<number> {
    return this.#deleted("DELETE FROM bearer_tokens WHERE kind = 'agent' AND model_uuid = $1", [modelUUID]);
  }

  purgeExpiredTokens(now: number): Promise<number> {
    return this.#deleted('DELETE FROM bearer_tokens WHERE expires_at <= $1', [now]);
  }

  async countTokens(): Promise<number> {
    return Number((await this.#pool.query<{ n: string }>('SELECT count(*) AS n FROM bearer_tokens')).rows[0]?.n ?? 0);
  }

  /** Rows a DELETE removed. */
  async #deleted(sql: string, params: unknown[]): Promise<number> {
    return (await this.#pool.query(sql, params)).rowCount ?? 0;
  }
}
