// The UserStore on the state's SQLite database (tables of migration "users, model access and agent
// credentials"). better-sqlite3 is synchronous: each method is one statement, or one transaction
// with no await inside.
import type { Database, Statement } from 'better-sqlite3';
import { ModelwatchError } from '../../core/index.js';
import { runSync } from '../sqlite/run-sync.js';
import { USER_COLS, grantOf, userOf } from './rows.js';
import type { GrantRow, UserRow } from './rows.js';
import type { ModelAccessRecord, UserModelAccess, UserPatch, UserRecord, UserStore } from './user-store.js';

/** Users, grants and agent credentials in SQLite. */
export class SqliteUserStore implements UserStore {
  readonly #db: Database;
  readonly #s: Record<
    | 'getUser' | 'listUsers' | 'countUsers' | 'addUser' | 'removeUser' | 'updateUser' | 'getAccess' | 'setAccess'
    | 'removeAccess' | 'grantsAll' | 'grantsOfUser' | 'grantsOfModel' | 'grantOf' | 'getAgent' | 'setAgent'
    | 'removeAgent' | 'forgetAccess' | 'forgetAgents',
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
    // model_access rows go with it (ON DELETE CASCADE).
    return runSync(() => this.#s.removeUser.run(name).changes > 0);
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
      })(),
    );
  }
}
