// An in-memory UserStore (Maps), for tests and for a controller without a persistent database.
import { ModelwatchError } from '../../core/index.js';
import type { ModelAccessRecord, TokenPutResult, TokenRecord, UserModelAccess, UserPatch, UserRecord, UserStore } from './user-store.js';

/** Keeps users, grants, agent credentials and tokens in Maps; records are copied in and out. */
export class MemoryUserStore implements UserStore {
  readonly #users = new Map<string, UserRecord>();
  /** user → modelUUID → access. */
  readonly #grants = new Map<string, Map<string, UserModelAccess>>();
  /** modelUUID → agent tag → scrypt hash. */
  readonly #agents = new Map<string, Map<string, string>>();
  /** digest → token; insertion order = issue order, so the first key is the oldest. */
  readonly #tokens = new Map<string, TokenRecord>();

  getUser(name: string): Promise<UserRecord | undefined> {
    const u = this.#users.get(name);
    return Promise.resolve(u === undefined ? undefined : { ...u });
  }

  listUsers(): Promise<UserRecord[]> {
    return Promise.resolve([...this.#users.values()].sort((a, b) => cmp(a.name, b.name)).map((u) => ({ ...u })));
  }

  countUsers(): Promise<number> {
    return Promise.resolve(this.#users.size);
  }

  addUser(user: UserRecord): Promise<void> {
    if (this.#users.has(user.name)) return Promise.reject(new ModelwatchError('AlreadyExists', `user "${user.name}" already exists`));
    this.#users.set(user.name, { ...user });
    return Promise.resolve();
  }

  removeUser(name: string): Promise<boolean> {
    this.#grants.delete(name);
    this.#dropTokens((t) => t.kind === 'user' && t.tag === `user-${name}`);
    return Promise.resolve(this.#users.delete(name));
  }

  updateUser(name: string, patch: UserPatch): Promise<boolean> {
    const u = this.#users.get(name);
    if (u === undefined) return Promise.resolve(false);
    this.#users.set(name, {
      ...u,
      displayName: patch.displayName ?? u.displayName,
      passwordHash: patch.passwordHash ?? u.passwordHash,
      controllerAccess: patch.controllerAccess ?? u.controllerAccess,
    });
    return Promise.resolve(true);
  }

  getModelAccess(user: string, modelUUID: string): Promise<UserModelAccess | undefined> {
    return Promise.resolve(this.#grants.get(user)?.get(modelUUID));
  }

  setModelAccess(user: string, modelUUID: string, access: UserModelAccess): Promise<void> {
    if (!this.#users.has(user)) return Promise.reject(new ModelwatchError('NotFound', `user "${user}" not found`));
    inner(this.#grants, user).set(modelUUID, access);
    return Promise.resolve();
  }

  removeModelAccess(user: string, modelUUID: string): Promise<boolean> {
    return Promise.resolve(this.#grants.get(user)?.delete(modelUUID) ?? false);
  }

  listModelAccess(filter: { user?: string; modelUUID?: string } = {}): Promise<ModelAccessRecord[]> {
    const out: ModelAccessRecord[] = [];
    for (const [user, models] of this.#grants) {
      if (filter.user !== undefined && user !== filter.user) continue;
      for (const [modelUUID, access] of models) {
        if (filter.modelUUID !== undefined && modelUUID !== filter.modelUUID) continue;
        out.push({ user, modelUUID, access });
      }
    }
    out.sort((a, b) => cmp(a.user, b.user) || cmp(a.modelUUID, b.modelUUID));
    return Promise.resolve(out);
  }

  getAgentCredential(modelUUID: string, tag: string): Promise<string | undefined> {
    return Promise.resolve(this.#agents.get(modelUUID)?.get(tag));
  }

  setAgentCredential(modelUUID: string, tag: string, passwordHash: string): Promise<void> {
    inner(this.#agents, modelUUID).set(tag, passwordHash);
    return Promise.resolve();
  }

  removeAgentCredential(modelUUID: string, tag: string): Promise<boolean> {
    return Promise.resolve(this.#agents.get(modelUUID)?.delete(tag) ?? false);
  }

  forgetModel(modelUUID: string): Promise<void> {
    for (const models of this.#grants.values()) models.delete(modelUUID);
    this.#agents.delete(modelUUID);
    this.#dropTokens((t) => t.kind === 'agent' && t.modelUUID === modelUUID);
    return Promise.resolve();
  }

  putToken(token: TokenRecord, maxTokens: number): Promise<TokenPutResult> {
    if (this.#tokens.has(token.digest)) return Promise.reject(new ModelwatchError('AlreadyExists', 'token already stored'));
    this.#tokens.set(token.digest, { ...token });
    let dropped = 0;
    if (this.#tokens.size > maxTokens) dropped += this.#dropTokens((t) => t.expiresAt <= token.issuedAt && t.digest !== token.digest);
    for (const digest of this.#tokens.keys()) {
      if (this.#tokens.size <= maxTokens) break;
      this.#tokens.delete(digest);
      dropped++;
    }
    return Promise.resolve({ count: this.#tokens.size, dropped });
  }

  getToken(digest: string): Promise<TokenRecord | undefined> {
    const t = this.#tokens.get(digest);
    return Promise.resolve(t === undefined ? undefined : { ...t });
  }

  deleteToken(digest: string): Promise<boolean> {
    return Promise.resolve(this.#tokens.delete(digest));
  }

  deleteUserTokens(tag: string): Promise<number> {
    return Promise.resolve(this.#dropTokens((t) => t.kind === 'user' && t.tag === tag));
  }

  deleteAgentTokens(modelUUID: string, tag: string): Promise<number> {
    return Promise.resolve(this.#dropTokens((t) => t.kind === 'agent' && t.modelUUID === modelUUID && t.tag === tag));
  }

  deleteModelTokens(modelUUID: string): Promise<number> {
    return Promise.resolve(this.#dropTokens((t) => t.kind === 'agent' && t.modelUUID === modelUUID));
  }

  purgeExpiredTokens(now: number): Promise<number> {
    return Promise.resolve(this.#dropTokens((t) => t.expiresAt <= now));
  }

  countTokens(): Promise<number> {
    return Promise.resolve(this.#tokens.size);
  }

  /** Deletes the tokens that match; returns how many. */
  #dropTokens(match: (t: TokenRecord) => boolean): number {
    let n = 0;
    for (const [digest, t] of this.#tokens) {
      if (!match(t)) continue;
      this.#tokens.delete(digest);
      n++;
    }
    return n;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The inner map of `key`, created empty when there is none. */
function inner<V>(outer: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let m = outer.get(key);
  if (m === undefined) {
    m = new Map();
    outer.set(key, m);
  }
  return m;
}
