// The UserStore on the state's SQLite database (tables of migrations "users, model access and agent
// credentials" and "REST bearer tokens"). better-sqlite3 is synchronous: each method is one
// statement, or one transaction with no await inside.
import type { Database, Statement } from 'better-sqlite3';
import { ModelwatchError } from '../../core/index.js';
import { runSync } from '../sqlite/run-sync.js';
import { TOKEN_COLS, USER_COLS, grantOf, tokenOf, tokenValues, userOf } from './rows.js';
import type { GrantRow, TokenRow, UserRow } from './rows.js';
import type { ModelAccessRecord, TokenPutResult, TokenRecord, UserModelAccess, UserPatch, UserRecord, UserStore } from './user-store.js';

/** Users, grants, agent credentials and bearer tokens in SQLite. */
export class SqliteUserStore implements UserStore {
  readonly #db: Database;
  readonly #s: Record<
    | 'getUser' | 'listUsers' | 'countUsers' | 'addUser' | 'removeUser' | 'updateUser' | 'getAccess' | 'setAccess'
    | 'removeAccess' | 'grantsAll' | 'grantsOfUser' | 'grantsOfModel' | 'grantOf' | 'getAgent' | 'setAgent'
    | 'removeAgent' | 'forgetAccess' | 'forgetAgents' | 'putToken' | 'getToken' | 'deleteToken' | 'userTokens'
    | 'agentTokens' | 'modelTokens' | 'expiredTokens' | 'expiredOthers' | 'oldestTokens' | 'countTokens',
    Statement
  >;

  /** `db` must be migrated (the state's driver owns and closes it). */
  constructor(db: Database) {
    this.#db = db;
    this.#s = {
      getUser: db.prepare(`SELECT ${USER_COLS} FROM users WHERE name = ?`),
      listUsers: db.prepare(`SELECT ${USER_COLS} FROM users ORDER BY name`),
      countUsers: db.prepare('SELECT count(*) FROM users').pluck(),
      addUser: db.prepare(`INSERT INTO users (${USER_COLS}) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`),
      removeUser: db.prepare('DELETE FROM users WHERE name = ?'),
      updateUser: db.prepare(`UPDATE users SET display_name = coalesce(?, display_name), password_hash = coalesce(?, password_hash),
        controller_access = coalesce(?, controller_access) WHERE name = ?`),
      getAccess: db.prepare('SELECT access FROM model_access WHERE user_name = ? AND model_uuid = ?').pluck(),
      setAccess: db.prepare(`INSERT INTO model_access (user_name, model_uuid, access) VALUES (?, ?, ?)
        ON CONFLICT (user_name, model_uuid) DO UPDATE SET access = excluded.access`),
      removeAccess: db.prepare('DELETE FROM model_access WHERE user_name = ? AND model_uuid = ?'),
      grantsAll: db.prepare('SELECT user_name, model_uuid, access FROM model_access ORDER BY user_name, model_uuid'),
      grantsOfUser: db.prepare('SELECT user_name, model_uuid, access FROM model_access WHERE user_name = ? ORDER BY model_uuid'),
      grantsOfModel: db.prepare('SELECT user_name, model_uuid, access FROM model_access WHERE model_uuid = ? ORDER BY user_name'),
      grantOf: db.prepare('SELECT user_name, model_uuid, access FROM model_access WHERE user_name = ? AND model_uuid = ?'),
      getAgent: db.prepare('SELECT password_hash FROM agent_credentials WHERE model_uuid = ? AND tag = ?').pluck(),
      setAgent: db.prepare(`INSERT INTO agent_credentials (model_uuid, tag, password_hash) VALUES (?, ?, ?)
        ON CONFLICT (model_uuid, tag) DO UPDATE SET password_hash = excluded.password_hash`),
      removeAgent: db.prepare('DELETE FROM agent_credentials WHERE model_uuid = ? AND tag = ?'),
      forgetAccess: db.prepare('DELETE FROM model_access WHERE model_uuid = ?'),
      forgetAgents: db.prepare('DELETE FROM agent_credentials WHERE model_uuid = ?'),
      putToken: db.prepare(`INSERT INTO bearer_tokens (${TOKEN_COLS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING`),
      getToken: db.prepare(`SELECT ${TOKEN_COLS} FROM bearer_tokens WHERE digest = ?`),
      deleteToken: db.prepare('DELETE FROM bearer_tokens WHERE digest = ?'),
      userTokens: db.prepare("DELETE FROM bearer_tokens WHERE kind = 'user' AND tag = ?"),
      agentTokens: db.prepare("DELETE FROM bearer_tokens WHERE kind = 'agent' AND model_uuid = ? AND tag = ?"),
      modelTokens: db.prepare("DELETE FROM bearer_tokens WHERE kind = 'agent' AND model_uuid = ?"),
      expiredTokens: db.prepare('DELETE FROM bearer_tokens WHERE expires_at <= ?'),
      expiredOthers: db.prepare('DELETE FROM bearer_tokens WHERE expires_at <= ? AND digest <> ?'),
      oldestTokens: db.prepare('DELETE FROM bearer_tokens WHERE seq IN (SELECT seq FROM bearer_tokens ORDER BY seq LIMIT ?)'),
      countTokens: db.prepare('SELECT count(*) FROM bearer_tokens').pluck(),
    };
  }

  getUser(name: string): Promise<UserRecord | undefined> {
    return runSync(() => {
      const row = this.#s.getUser.get(name) as UserRow | undefined;
      return row === undefined ? undefined : userOf(row);
    });
  }

  listUsers(): Promise<UserRecord[]> {
    return runSync(() => (this.#s.listUsers.all() as UserRow[]).map(userOf));
  }

  countUsers(): Promise<number> {
    return runSync(() => Number(this.#s.countUsers.get()));
  }

  addUser(u: UserRecord): Promise<void> {
    return runSync(() => {
      const r = this.#s.addUser.run(u.name, u.displayName, u.passwordHash, u.controllerAccess, u.createdAt);
      if (r.changes === 0) throw new ModelwatchError('AlreadyExists', `user "${u.name}" already exists`);
    });
  }

  removeUser(name: string): Promise<boolean> {
    // model_access rows go with it (ON DELETE CASCADE); the tokens in the same transaction.
    return runSync(() =>
      this.#db.transaction(() => {
        this.#s.userTokens.run(`user-${name}`);
        return this.#s.removeUser.run(name).changes > 0;
      })(),
    );
  }

  updateUser(name: string, patch: UserPatch): Promise<boolean> {
    return runSync(() => this.#s.updateUser.run(patch.displayName ?? null, patch.passwordHash ?? null, patch.controllerAccess ?? null, name).changes > 0);
  }

  getModelAccess(user: string, modelUUID: string): Promise<UserModelAccess | undefined> {
    return runSync(() => this.#s.getAccess.get(user, modelUUID) as UserModelAccess | undefined);
  }

  setModelAccess(user: string, modelUUID: string, access: UserModelAccess): Promise<void> {
    return runSync(() => {
      try {
        this.#s.setAccess.run(user, modelUUID, access);
      } catch (err) {
        if ((err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw new ModelwatchError('NotFound', `user "${user}" not found`);
        throw err;
      }
    });
  }

  removeModelAccess(user: string, modelUUID: string): Promise<boolean> {
    return runSync(() => this.#s.removeAccess.run(user, modelUUID).changes > 0);
  }

  listModelAccess(filter: { user?: string; modelUUID?: string } = {}): Promise<ModelAccessRecord[]> {
    return runSync(() => {
      const { user, modelUUID } = filter;
      const rows =
        user !== undefined && modelUUID !== undefined ? this.#s.grantOf.all(user, modelUUID)
        : user !== undefined ? this.#s.grantsOfUser.all(user)
        : modelUUID !== undefined ? this.#s.grantsOfModel.all(modelUUID)
        : this.#s.grantsAll.all();
      return (rows as GrantRow[]).map(grantOf);
    });
  }

  getAgentCredential(modelUUID: string, tag: string): Promise<string | undefined> {
    return runSync(() => this.#s.getAgent.get(modelUUID, tag) as string | undefined);
  }

  setAgentCredential(modelUUID: string, tag: string, passwordHash: string): Promise<void> {
    return runSync(() => void this.#s.setAgent.run(modelUUID, tag, passwordHash));
  }

  removeAgentCredential(modelUUID: string, tag: string): Promise<boolean> {
    return runSync(() => this.#s.removeAgent.run(modelUUID, tag).changes > 0);
  }

  forgetModel(modelUUID: string): Promise<void> {
    return runSync(() =>
      this.#db.transaction(() => {
        this.#s.forgetAccess.run(modelUUID);
        this.#s.forgetAgents.run(modelUUID);
        this.#s.modelTokens.run(modelUUID);
      })(),
    );
  }

  putToken(token: TokenRecord, maxTokens: number): Promise<TokenPutResult> {
    return runSync(() =>
      this.#db.transaction((): TokenPutResult => {
        if (this.#s.putToken.run(...tokenValues(token)).changes === 0) throw new ModelwatchError('AlreadyExists', 'token already stored');
        let count = Number(this.#s.countTokens.get());
        if (count <= maxTokens) return { count, dropped: 0 };
        let dropped = this.#s.expiredOthers.run(token.issuedAt, token.digest).changes;
        if (count - dropped > maxTokens) dropped += this.#s.oldestTokens.run(count - dropped - maxTokens).changes;
        count -= dropped;
        return { count, dropped };
      })(),
    );
  }

  getToken(digest: string): Promise<TokenRecord | undefined> {
    return runSync(() => {
      const row = this.#s.getToken.get(digest) as TokenRow | undefined;
      return row === undefined ? undefined : tokenOf(row);
    });
  }

  deleteToken(digest: string): Promise<boolean> {
    return runSync(() => this.#s.deleteToken.run(digest).changes > 0);
  }

  deleteUserTokens(tag: string): Promise<number> {
    return runSync(() => this.#s.userTokens.run(tag).changes);
  }

  deleteAgentTokens(modelUUID: string, tag: string): Promise<number> {
    return runSync(() => this.#s.agentTokens.run(modelUUID, tag).changes);
  }

  deleteModelTokens(modelUUID: string): Promise<number> {
    return runSync(() => this.#s.modelTokens.run(modelUUID).changes);
  }

  purgeExpiredTokens(now: number): Promise<number> {
    return runSync(() => this.#s.expiredTokens.run(now).changes);
  }

  countTokens(): Promise<number> {
    return runSync(() => Number(this.#s.countTokens.get()));
  }
}
