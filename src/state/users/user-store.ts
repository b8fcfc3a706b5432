// The user store seam: users, their per-model access, agents' credentials and REST bearer tokens,
// persisted by the state store's backends (or kept in memory), so every controller on one database
// shares them and they survive a restart. Only password hashes (scrypt, auth/password.ts) and token
// digests (SHA-256, auth/token-store.ts) are ever stored, never a password or a token.

/** Per-model access levels, ordered read < write < admin (same as api/services.ts ModelAccess). */
export type UserModelAccess = 'read' | 'write' | 'admin';
/** Controller access levels, ordered login < superuser. */
export type UserControllerAccess = 'login' | 'superuser';

/** A user as stored. */
export interface UserRecord {
  /** The part after `user-` in the user's tag. */
  readonly name: string;
  readonly displayName: string;
  /** `scrypt$N$r$p$salt$hash`. */
  readonly passwordHash: string;
  readonly controllerAccess: UserControllerAccess;
  /** Creation time, epoch ms (from the injected Clock). */
  readonly createdAt: number;
}

/** Fields of a user that may change after creation. */
export interface UserPatch {
  displayName?: string;
  passwordHash?: string;
  controllerAccess?: UserControllerAccess;
}

/** One grant: `user` has `access` on `modelUUID`. */
export interface ModelAccessRecord {
  readonly user: string;
  readonly modelUUID: string;
  readonly access: UserModelAccess;
}

/**
 * A REST bearer token as stored: its SHA-256, never the token, and whose it is. A user's token names
 * the user's tag only (the user record is read when it resolves); an agent's names its model too,
 * since `machine-0` is a different agent in every model.
 */
export type TokenRecord = {
  /** SHA-256 of the token, base64url (43 characters). */
  readonly digest: string;
  /** `user-<name>`, `machine-<id>` or `unit-<app>-<n>`. */
  readonly tag: string;
  /** Epoch ms (from the injected Clock). */
  readonly issuedAt: number;
  /** Epoch ms; the token is dead from this instant on. */
  readonly expiresAt: number;
} & ({ readonly kind: 'user' } | { readonly kind: 'agent'; readonly modelUUID: string });

/** What putToken did to keep the bound. */
export interface TokenPutResult {
  /** Tokens stored after the put (live and not-yet-purged expired ones). */
  readonly count: number;
  /** Tokens deleted to keep the bound (expired ones first, then the oldest). */
  readonly dropped: number;
}

/**
 * Persistence of users, grants and agent credentials. Implementations validate nothing beyond their
 * own invariants (the auth service validates names and levels first); every method is atomic.
 */
export interface UserStore {
  getUser(name: string): Promise<UserRecord | undefined>;
  /** Every user, ordered by name. */
  listUsers(): Promise<UserRecord[]>;
  countUsers(): Promise<number>;
  /** @throws ModelwatchError AlreadyExists `user "<name>" already exists`. */
  addUser(user: UserRecord): Promise<void>;
  /** Removes the user, every grant and every token of theirs; false when there was no such user. */
  removeUser(name: string): Promise<boolean>;
  /** False when there is no such user. */
  updateUser(name: string, patch: UserPatch): Promise<boolean>;

  getModelAccess(user: string, modelUUID: string): Promise<UserModelAccess | undefined>;
  /** Creates or replaces a grant. @throws ModelwatchError NotFound `user "<name>" not found`. */
  setModelAccess(user: string, modelUUID: string, access: UserModelAccess): Promise<void>;
  /** False when there was no grant. */
  removeModelAccess(user: string, modelUUID: string): Promise<boolean>;
  /** Grants of one user and/or one model, ordered by (user, modelUUID). */
  listModelAccess(filter?: { user?: string; modelUUID?: string }): Promise<ModelAccessRecord[]>;

  /** The scrypt hash of an agent's password in a model, or undefined. */
  getAgentCredential(modelUUID: string, tag: string): Promise<string | undefined>;
  setAgentCredential(modelUUID: string, tag: string, passwordHash: string): Promise<void>;
  /** False when there was none. */
  removeAgentCredential(modelUUID: string, tag: string): Promise<boolean>;

  /** Drops every grant, agent credential and agent token of a model (the model was removed). */
  forgetModel(modelUUID: string): Promise<void>;

  /**
   * Stores a token (its digest is new: 32 random bytes). Then, if more than `maxTokens` are stored,
   * deletes the expired ones (at `token.issuedAt`) and, if still over, the oldest issued until
   * `maxTokens` remain; the new token is never among them while maxTokens >= 1.
   */
  putToken(token: TokenRecord, maxTokens: number): Promise<TokenPutResult>;
  /** The token of a digest, expired or not; undefined when there is none. */
  getToken(digest: string): Promise<TokenRecord | undefined>;
  /** False when there was none. */
  deleteToken(digest: string): Promise<boolean>;
  /** Deletes every token of a user (`user-<name>`); returns how many. */
  deleteUserTokens(tag: string): Promise<number>;
  /** Deletes the tokens of one agent of one model; returns how many. */
  deleteAgentTokens(modelUUID: string, tag: string): Promise<number>;
  /** Deletes the tokens of every agent of a model; returns how many. */
  deleteModelTokens(modelUUID: string): Promise<number>;
  /** Deletes the tokens with expiresAt <= now; returns how many. */
  purgeExpiredTokens(now: number): Promise<number>;
  /** Tokens stored, expired ones not yet purged included. */
  countTokens(): Promise<number>;
}
