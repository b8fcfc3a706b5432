// User management behind the REST user routes and `modelwatch serve`'s first start: add, remove,
// passwords, controller access, model grants and agents' passwords. Validates every input (NotValid)
// before touching the store, so a refused call changes nothing.
import type { Clock } from '../../core/index.js';
import { ModelwatchError, validateModelUUID } from '../../core/index.js';
import type { ControllerAccess, ModelAccess } from '../services.js';
import { generatePassword, hashPassword } from './password.js';
import { isValidUserName, parseAuthTag } from './tags.js';
import type { TokenStore } from './token-store.js';
import type { UserRecord, UserStore } from '../../state/index.js';

/** A user as shown to administrators: never a hash. */
export interface UserView {
  name: string;
  displayName: string;
  controllerAccess: ControllerAccess;
  /** Epoch ms. */
  createdAt: number;
  /** Grants, ordered by model UUID. */
  models: Array<{ modelUUID: string; access: ModelAccess }>;
}

/** Input of addUser. */
export interface NewUser {
  name: string;
  password: string;
  displayName?: string;
  controllerAccess?: ControllerAccess;
}

/** User management. Errors: NotValid (bad input), NotFound, AlreadyExists. */
export interface UserAdmin {
  /** @throws NotValid for a bad name/password/level; AlreadyExists `user "<name>" already exists`. */
  addUser(user: NewUser): Promise<UserView>;
  /** Removes the user, their grants and their tokens. @throws NotFound; NotValid for the last superuser. */
  removeUser(name: string): Promise<void>;
  /** Replaces the password and revokes the user's tokens. @throws NotFound, NotValid. */
  setPassword(name: string, password: string): Promise<void>;
  /** @throws NotFound, NotValid (also when it would demote the last superuser). */
  setControllerAccess(name: string, access: ControllerAccess): Promise<void>;
  /** Creates or replaces a grant. @throws NotFound (user), NotValid. */
  grant(user: string, modelUUID: string, access: ModelAccess): Promise<void>;
  /** @throws NotFound when the user has no grant on that model. */
  revoke(user: string, modelUUID: string): Promise<void>;
  listUsers(): Promise<UserView[]>;
  getUser(name: string): Promise<UserView | undefined>;
  /**
   * Sets an agent's (`machine-<id>`, `unit-<app>-<n>`) password in a model and revokes that agent's
   * tokens (the same tag in other models is another agent: untouched). @throws NotValid.
   */
  setAgentPassword(modelUUID: string, tag: string, password: string): Promise<void>;
  /** Drops every grant, agent credential and agent token of a removed model. */
  forgetModel(modelUUID: string): Promise<void>;
  /**
   * On a store without users, creates the superuser `admin` with `password` (or a generated one) and
   * returns the password, once. Undefined when users exist.
   */
  ensureAdmin(password?: string): Promise<{ name: string; password: string } | undefined>;
}

/** Longest accepted password: bounds the work a login can ask of scrypt. */
export const MAX_PASSWORD_LENGTH = 1024;
const MAX_DISPLAY_NAME_LENGTH = 255;
const CONTROLLER_ACCESS: readonly string[] = ['login', 'superuser'];
const MODEL_ACCESS: readonly string[] = ['read', 'write', 'admin'];

/** The UserAdmin of an auth service. */
export class UserAdministration implements UserAdmin {
  readonly #users: UserStore;
  readonly #clock: Clock;
  readonly #tokens: TokenStore;
  /** Called after every change of someone's access (so cached access answers are dropped). */
  readonly #accessChanged: () => void;

  constructor(users: UserStore, clock: Clock, tokens: TokenStore, accessChanged: () => void = () => undefined) {
    this.#users = users;
    this.#clock = clock;
    this.#tokens = tokens;
    this.#accessChanged = accessChanged;
  }

  async addUser(user: NewUser): Promise<UserView> {
    validateUserName(user.name);
    validatePassword(user.password);
    const displayName = user.displayName ?? '';
    if (typeof displayName !== 'string' || displayName.length > MAX_DISPLAY_NAME_LENGTH) {
      throw new ModelwatchError('NotValid', `display name not valid: must be a string of at most ${MAX_DISPLAY_NAME_LENGTH} characters`);
    }
    const controllerAccess = user.controllerAccess ?? 'login';
    validateControllerAccess(controllerAccess);
    const record: UserRecord = {
      name: user.name,
      displayName,
      passwordHash: await hashPassword(user.password),
      controllerAccess,
      createdAt: this.#clock.now(),
    };
    await this.#users.addUser(record);
    return { name: record.name, displayName, controllerAccess, createdAt: record.createdAt, models: [] };
  }

  async removeUser(name: string): Promise<void> {
    const u = await this.#existing(name);
    if (u.controllerAccess === 'superuser') await this.#keepOneSuperuser(name, 'remove');
    // Tokens first, then the user with any token a login slipped in between (one store step).
    await this.#tokens.revokeTag(`user-${name}`);
    await this.#users.removeUser(name);
    this.#accessChanged();
  }

  async setPassword(name: string, password: string): Promise<void> {
    validatePassword(password);
    await this.#existing(name);
    const passwordHash = await hashPassword(password);
    if (!(await this.#users.updateUser(name, { passwordHash }))) throw notFound(name);
    await this.#tokens.revokeTag(`user-${name}`);
  }

  async setControllerAccess(name: string, access: ControllerAccess): Promise<void> {
    validateControllerAccess(access);
    const u = await this.#existing(name);
    if (u.controllerAccess === 'superuser' && access !== 'superuser') await this.#keepOneSuperuser(name, 'demote');
    await this.#users.updateUser(name, { controllerAccess: access });
    this.#tokens.dropCachedTag(`user-${name}`); // a token's identity carries the controller access
    this.#accessChanged();
  }

  async grant(user: string, modelUUID: string, access: ModelAccess): Promise<void> {
    validateModelUUID(modelUUID, 'model UUID');
    validateModelAccess(access);
    await this.#existing(user);
    await this.#users.setModelAccess(user, modelUUID, access);
    this.#accessChanged();
  }

  async revoke(user: string, modelUUID: string): Promise<void> {
    validateModelUUID(modelUUID, 'model UUID');
    await this.#existing(user);
    const removed = await this.#users.removeModelAccess(user, modelUUID);
    this.#accessChanged();
    if (!removed) throw new ModelwatchError('NotFound', `user "${user}" has no access to model "${modelUUID}"`);
  }

  async listUsers(): Promise<UserView[]> {
    const [users, grants] = await Promise.all([this.#users.listUsers(), this.#users.listModelAccess()]);
    const byUser = new Map<string, UserView['models']>();
    for (const g of grants) {
      let list = byUser.get(g.user);
      if (list === undefined) byUser.set(g.user, (list = []));
      list.push({ modelUUID: g.modelUUID, access: g.access });
    }
    return users.map((u) => view(u, byUser.get(u.name) ?? []));
  }

  async getUser(name: string): Promise<UserView | undefined> {
    const u = await this.#users.getUser(name);
    if (u === undefined) return undefined;
    const grants = await this.#users.listModelAccess({ user: name });
    return view(u, grants.map((g) => ({ modelUUID: g.modelUUID, access: g.access })));
  }

  async setAgentPassword(modelUUID: string, tag: string, password: string): Promise<void> {
    validateModelUUID(modelUUID, 'model UUID');
    const parsed = typeof tag === 'string' ? parseAuthTag(tag) : undefined;
    if (parsed === undefined || parsed.kind === 'user') {
      throw new ModelwatchError('NotValid', `agent tag ${JSON.stringify(tag)} not valid: must be machine-<id> or unit-<app>-<n>`);
    }
    validatePassword(password);
    await this.#users.setAgentCredential(modelUUID, tag, await hashPassword(password));
    await this.#tokens.revokeAgent(modelUUID, tag);
  }

  async forgetModel(modelUUID: string): Promise<void> {
    validateModelUUID(modelUUID, 'model UUID');
    // Tokens first (here at once, elsewhere within the token cache time); then the model's grants and
    // credentials with any token a login slipped in between (one store step), so none survives.
    await this.#tokens.revokeModel(modelUUID);
    await this.#users.forgetModel(modelUUID);
    this.#accessChanged();
  }

  async ensureAdmin(password?: string): Promise<{ name: string; password: string } | undefined> {
    if ((await this.#users.countUsers()) > 0) return undefined;
    const chosen = password ?? generatePassword();
    try {
      await this.addUser({ name: 'admin', password: chosen, displayName: 'admin', controllerAccess: 'superuser' });
    } catch (err) {
      // Another controller on the same database created it first: not ours to announce.
      if (err instanceof ModelwatchError && err.code === 'AlreadyExists') return undefined;
      throw err;
    }
    return { name: 'admin', password: chosen };
  }

  async #existing(name: string): Promise<UserRecord> {
    validateUserName(name);
    const u = await this.#users.getUser(name);
    if (u === undefined) throw notFound(name);
    return u;
  }

  /** Refuses to leave the controller without a superuser (nobody could manage users again). */
  async #keepOneSuperuser(name: string, what: 'remove' | 'demote'): Promise<void> {
    const others = (await this.#users.listUsers()).filter((u) => u.controllerAccess === 'superuser' && u.name !== name);
    if (others.length === 0) throw new ModelwatchError('NotValid', `cannot ${what} the last superuser "${name}"`);
  }
}

function view(u: UserRecord, models: UserView['models']): UserView {
  return { name: u.name, displayName: u.displayName, controllerAccess: u.controllerAccess, createdAt: u.createdAt, models };
}

function notFound(name: string): ModelwatchError {
  return new ModelwatchError('NotFound', `user "${name}" not found`);
}

/** @throws NotValid `user name "<name>" not valid: …`. */
export function validateUserName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !isValidUserName(name)) {
    throw new ModelwatchError('NotValid', `user name ${JSON.stringify(name)} not valid: must match ^[a-z0-9][a-zA-Z0-9.+-]{0,63}$`);
  }
}

function validatePassword(password: unknown): asserts password is string {
  if (typeof password !== 'string' || password.length === 0 || password.length > MAX_PASSWORD_LENGTH) {
    throw new ModelwatchError('NotValid', `password not valid: must be 1 to ${MAX_PASSWORD_LENGTH} characters`);
  }
}

function validateControllerAccess(access: unknown): asserts access is ControllerAccess {
  if (typeof access !== 'string' || !CONTROLLER_ACCESS.includes(access)) {
    throw new ModelwatchError('NotValid', `controller access ${JSON.stringify(access)} not valid: must be login or superuser`);
  }
}

/** @throws NotValid unless access is read, write or admin. */
export function validateModelAccess(access: unknown): asserts access is ModelAccess {
  if (typeof access !== 'string' || !MODEL_ACCESS.includes(access)) {
    throw new ModelwatchError('NotValid', `model access ${JSON.stringify(access)} not valid: must be read, write or admin`);
  }
}
