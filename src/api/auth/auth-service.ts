// The controller's AuthService (api/services.ts): password logins for users and agents, rate limited
// and delayed on failure (spec/protocol.md §9), model access lookups, and REST bearer tokens.
import type { Clock, Logger, Random } from '../../core/index.js';
import { ModelwatchError, NotValidError, isRegistry, sleep, systemRandom } from '../../core/index.js';
import type { AuthService, Identity, LoginAttempt, ModelAccess } from '../services.js';
import type { AuthLimits } from './auth-limits.js';
import { DEFAULT_AUTH_LIMITS, MAX_TOKEN_CACHE_MS } from './auth-limits.js';
import { LoginLimiter } from './login-limiter.js';
import { generatePassword, hashPassword, verifyPassword } from './password.js';
import { parseAuthTag } from './tags.js';
import { TokenStore } from './token-store.js';
import type { UserAdmin } from './user-admin.js';
import { MAX_PASSWORD_LENGTH, UserAdministration } from './user-admin.js';
import type { UserStore } from '../../state/index.js';
import { UserRecordCache } from './user-cache.js';
import { authMetricsFor } from './auth-metrics.js';
import type { LoginOutcome } from './auth-metrics.js';
import type { Registry } from 'prom-client';
import { VerifyGate } from './verify-gate.js';

/** Configuration of createAuthService. */
export interface AuthServiceConfig {
  clock: Clock;
  logger: Logger;
  users: UserStore;
  /** Jitter source for the failure delay (default Math.random). */
  random?: Random;
  limits?: Partial<AuthLimits>;
  /** Where the service's metrics go (logins by outcome, verification queue, caches); none without it. */
  registry?: Registry;
}

/** An AuthService plus the user management that shares its store and tokens. */
export type ControllerAuthService = AuthService & {
  readonly admin: UserAdmin;
  /** The service is done (its controller's auth stopped): it leaves the registry's gauges. Idempotent. */
  close(): void;
};

/** Exact texts (spec/protocol.md §2.4). */
export const INVALID_CREDENTIALS = 'invalid entity name or password';
export const PERMISSION_DENIED = 'permission denied';
export const TRY_AGAIN = 'try again';

type Outcome = { type: 'ok'; identity: Identity } | { type: 'denied' } | { type: 'bad'; reason: string } | { type: 'locked' };

/**
 * Creates the auth service.
 * @throws NotValidError "missing Clock not valid" / "missing Logger not valid" / "missing UserStore not valid",
 *   or "limits.<name> … not valid".
 */
export function createAuthService(config: AuthServiceConfig): ControllerAuthService {
  return new ControllerAuth(config);
}

class ControllerAuth implements AuthService {
  readonly admin: UserAdmin;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #users: UserStore;
  readonly #random: Random;
  readonly #limits: AuthLimits;
  readonly #limiter: LoginLimiter;
  readonly #gate: VerifyGate;
  readonly #tokens: TokenStore;
  /** A hash to verify against when there is no stored one, so unknown names cost what known ones do. */
  #dummyHash: Promise<string> | undefined;
  #succeeded = 0;
  #failed = 0;
  #lockedOut = 0;
  #accessEpoch = 0;
  readonly #userRecords: UserRecordCache;
  readonly #logins: { inc(labels: { outcome: LoginOutcome }): void } | undefined;
  readonly #unregisterMetrics: () => void;

  constructor(config: AuthServiceConfig) {
    const raw = config as unknown; // JavaScript callers may pass anything, null included
    const c = (typeof raw === 'object' && raw !== null ? raw : {}) as Partial<AuthServiceConfig>;
    if (!hasMethods(c.clock, ['now', 'setTimeout'])) throw new NotValidError('missing Clock not valid');
    if (!hasMethods(c.logger, ['debug', 'info', 'warn', 'error'])) throw new NotValidError('missing Logger not valid');
    if (!hasMethods(c.users, ['getUser', 'getModelAccess', 'getAgentCredential', 'putToken', 'getToken'])) throw new NotValidError('missing UserStore not valid');
    if (c.random !== undefined && typeof c.random !== 'function') throw new NotValidError('random not valid: must be a function');
    if (c.registry !== undefined && !isRegistry(c.registry)) throw new NotValidError('registry not valid: must be a prom-client Registry');
    this.#clock = c.clock as Clock;
    this.#logger = c.logger as Logger;
    this.#users = c.users as UserStore;
    this.#random = c.random ?? systemRandom;
    this.#limits = resolveLimits(c.limits);
    this.#limiter = new LoginLimiter(this.#clock, this.#limits);
    this.#gate = new VerifyGate(this.#limits.maxConcurrentVerifications, this.#limits.maxQueuedVerifications);
    const l = this.#limits;
    this.#tokens = new TokenStore({
      clock: this.#clock, users: this.#users, ttlMs: l.tokenTtlMs, maxTokens: l.maxTokens,
      cacheMs: l.tokenCacheMs, maxCachedTokens: l.maxCachedTokens, purgeIntervalMs: l.tokenPurgeIntervalMs,
    });
    this.admin = new UserAdministration(this.#users, this.#clock, this.#tokens, () => {
      this.#accessEpoch++;
    });
    this.#userRecords = new UserRecordCache(this.#clock, () => this.#accessEpoch, (name) => this.#users.getUser(name));
    const metrics = c.registry === undefined ? undefined : authMetricsFor(c.registry, () => ({
      verificationsRunning: this.#gate.running,
      verificationsQueued: this.#gate.queued,
      trackedLoginKeys: this.#limiter.size(),
      cachedTokens: this.#tokens.cached,
      cachedUsers: this.#userRecords.size,
    }));
    this.#logins = metrics?.logins;
    this.#unregisterMetrics = metrics?.unregister ?? (() => undefined);
  }

  async login(attempt: LoginAttempt): Promise<Identity> {
    const tag = typeof attempt.tag === 'string' ? attempt.tag : '';
    // Unparseable tags share one key: they always fail, and a spray of them cannot grow the limiter.
    const tagKey = `tag:${parseAuthTag(tag) === undefined ? '(invalid)' : tag}`;
    const keys = [`addr:${attempt.remoteAddress}`, tagKey];
    let outcome: Outcome = { type: 'locked' };
    if (!this.#limiter.isLocked(keys)) {
      try {
        outcome = await this.#gate.run(async () => {
          // Re-checked in the gate and recorded before leaving it: a queued burst of guesses stops as
          // soon as earlier ones locked the key.
          if (this.#limiter.isLocked(keys)) return { type: 'locked' } as const;
          const o = await this.#check(attempt, tag);
          if (o.type === 'bad') this.#limiter.fail(keys);
          else this.#limiter.succeed(tagKey); // right password: the tag's counter resets
          return o;
        });
      } catch (err) {
        if (!(err instanceof ModelwatchError && err.code === 'TryAgain')) throw err;
      }
    }
    const fields = { tag: tag.slice(0, 128), remoteAddress: attempt.remoteAddress, modelUUID: attempt.modelUUID };
    this.#logins?.inc({ outcome: outcome.type });
    switch (outcome.type) {
      case 'ok':
        this.#succeeded++;
        return outcome.identity;
      case 'denied':
        this.#failed++;
        this.#logger.info('login refused: no access to model', fields);
        await this.#failureDelay();
        throw new ModelwatchError('PermissionDenied', PERMISSION_DENIED);
      case 'bad':
        this.#failed++;
        this.#logger.info(`login failed: ${outcome.reason}`, fields);
        await this.#failureDelay();
        throw new ModelwatchError('Unauthorized', INVALID_CREDENTIALS);
      case 'locked':
        this.#lockedOut++;
        this.#logger.info('login refused: too many failed logins', fields);
        await this.#failureDelay();
        throw new ModelwatchError('TryAgain', TRY_AGAIN);
    }
  }

  async modelAccess(identity: Identity, modelUUID: string): Promise<ModelAccess | ''> {
    if (identity.kind === 'agent') return identity.modelUUID === modelUUID ? 'read' : '';
    // Checked on every call; the user row is reused for USER_CACHE_MS unless access changed through
    // this service (user-cache.ts), so a removal or demotion made here applies at once.
    const u = await this.#userRecords.get(identity.name);
    if (u === undefined) return '';
    if (u.controllerAccess === 'superuser') return 'admin';
    return (await this.#users.getModelAccess(identity.name, modelUUID)) ?? '';
  }

  issueToken(identity: Identity): Promise<string> {
    return this.#tokens.issue(identity);
  }

  resolveToken(token: string): Promise<Identity | undefined> {
    return typeof token === 'string' && token !== '' ? this.#tokens.resolve(token) : Promise.resolve(undefined);
  }

  close(): void {
    this.#unregisterMetrics();
  }

  accessEpoch(): number {
    return this.#accessEpoch;
  }

  report(): Record<string, unknown> {
    return {
      'tracked-login-keys': this.#limiter.size(),
      'live-tokens': this.#tokens.size,
      'cached-tokens': this.#tokens.cached,
      'cached-users': this.#userRecords.size,
      'verifications-running': this.#gate.running,
      'verifications-queued': this.#gate.queued,
      'logins-succeeded': this.#succeeded,
      'logins-failed': this.#failed,
      'logins-locked-out': this.#lockedOut,
    };
  }

  /** Checks the credentials; never logs or returns the password. */
  async #check(attempt: LoginAttempt, tag: string): Promise<Outcome> {
    const password = attempt.password;
    const parsed = parseAuthTag(tag);
    if (typeof password !== 'string' || password === '' || password.length > MAX_PASSWORD_LENGTH) {
      return { type: 'bad', reason: 'unusable credentials' };
    }
    if (parsed === undefined) return { type: 'bad', reason: 'unsupported tag' };
    const modelUUID = attempt.modelUUID;
    if (parsed.kind === 'user') {
      const u = await this.#users.getUser(parsed.name);
      if (!(await this.#verify(password, u?.passwordHash)) || u === undefined) return { type: 'bad', reason: 'unknown user or wrong password' };
      if (modelUUID !== undefined && u.controllerAccess !== 'superuser') {
        if ((await this.#users.getModelAccess(u.name, modelUUID)) === undefined) return { type: 'denied' };
      }
      return {
        type: 'ok',
        identity: { kind: 'user', tag, name: u.name, displayName: u.displayName, controllerAccess: u.controllerAccess },
      };
    }
    // Agents log in only on their own model's connection, with the password set at provisioning.
    const stored = modelUUID === undefined ? undefined : await this.#users.getAgentCredential(modelUUID, tag);
    if (!(await this.#verify(password, stored)) || stored === undefined || modelUUID === undefined) {
      return { type: 'bad', reason: 'unknown agent or wrong password' };
    }
    return { type: 'ok', identity: { kind: 'agent', tag, agent: parsed, modelUUID } };
  }

  /** Verifies in constant time; with no stored hash, burns the same work and answers false. */
  async #verify(password: string, stored: string | undefined): Promise<boolean> {
    if (stored !== undefined) return verifyPassword(password, stored);
    this.#dummyHash ??= hashPassword(generatePassword());
    await verifyPassword(password, await this.#dummyHash);
    return false;
  }

  #failureDelay(): Promise<void> {
    const { failureDelayMinMs: min, failureDelayMaxMs: max } = this.#limits;
    return sleep(this.#clock, min + this.#random() * (max - min));
  }
}

function resolveLimits(limits: unknown): AuthLimits {
  if (limits !== undefined && (limits === null || typeof limits !== 'object')) throw new NotValidError('limits not valid: must be an object');
  const out: AuthLimits = { ...DEFAULT_AUTH_LIMITS, ...(limits as Partial<AuthLimits> | undefined) };
  for (const [k, v] of Object.entries(out)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new NotValidError(`limits.${k} ${String(v)} not valid: must be a non-negative number`);
  }
  if (out.tokenCacheMs > MAX_TOKEN_CACHE_MS) {
    throw new NotValidError(`limits.tokenCacheMs ${out.tokenCacheMs} not valid: must be at most ${MAX_TOKEN_CACHE_MS}`);
  }
  if (out.failureDelayMinMs > out.failureDelayMaxMs) {
    throw new NotValidError('limits.failureDelayMinMs not valid: must not exceed failureDelayMaxMs');
  }
  return out;
}

function hasMethods(v: unknown, names: readonly string[]): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return names.every((n) => typeof o[n] === 'function');
}
