// The user store seam: users, their per-model access and agents' credentials, persisted by the state
// store's backends (or kept in memory). Bearer tokens are not stored here: they live in memory only.
// Only password hashes (scrypt, auth/password.ts) are ever stored, never a password.

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
  /** Removes the user and every grant of theirs; false when there was no such user. */
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

  /** Drops every grant and agent credential of a model (the model was removed). */
  forgetModel(modelUUID: string): Promise<void>;
}
