import { describe, expect, it } from 'vitest';
import { ManualClock, MemoryLogger, ModelwatchError, flushMicrotasks, nullLogger } from '../../core/index.js';
import type { TimerHandle } from '../../core/index.js';
import type { Identity } from '../services.js';
import { createAuthService } from './auth-service.js';
import type { AuthServiceConfig } from './auth-service.js';
import { MemoryUserStore } from '../../state/index.js';
import type { UserStore } from '../../state/index.js';

const M1 = '11111111-1111-4111-8111-111111111111';
const M2 = '22222222-2222-4222-8222-222222222222';

/**
 * A ManualClock that says when a timer is armed: a failure delay starts only after scrypt's real
 * work, so tests await that event instead of polling real time.
 */
class AuthTestClock extends ManualClock {
  #onArm: Array<() => void> = [];
  #driving = 0;

  override setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle = super.setTimeout(fn, ms);
    for (const resolve of this.#onArm.splice(0)) resolve();
    if (this.#driving > 0) this.#fireAll();
    return handle;
  }

  /** Resolves when the next timer is armed. */
  timerArmed(): Promise<void> {
    return new Promise((resolve) => this.#onArm.push(resolve));
  }

  /** Runs `p` to completion, firing every timer as soon as it is armed (time jumps to its due). */
  async drive<T>(p: Promise<T>): Promise<T> {
    this.#driving++;
    this.#fireAll();
    try {
      return await p;
    } finally {
      this.#driving--;
    }
  }

  #fireAll(): void {
    queueMicrotask(() => {
      for (let due = this.nextDue(); due !== undefined && this.#driving > 0; due = this.nextDue()) this.set(due);
    });
  }
}

async function setup(over: Partial<AuthServiceConfig> = {}, store: UserStore = new MemoryUserStore()) {
  const clock = new AuthTestClock(1_000_000);
  const auth = createAuthService({ clock, logger: nullLogger, users: store, ...over, ...(over.clock ? {} : { clock }) });
  await auth.admin.addUser({ name: 'admin', password: 'root-pw', controllerAccess: 'superuser' });
  await auth.admin.addUser({ name: 'bob', password: 'bob-pw', displayName: 'Bob' });
  const login = (tag: string, password: string, modelUUID?: string, remoteAddress = '10.0.0.1') =>
    clock.drive(auth.login({ tag, password, modelUUID, remoteAddress }));
  return { clock, auth, store, login };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ModelwatchError) return `${err.code}: ${err.message}`;
    throw err;
  }
  return 'ok';
}

describe('createAuthService configuration', () => {
  it('names the first missing dependency', () => {
    const clock = new ManualClock();
    expect(() => createAuthService({} as AuthServiceConfig)).toThrow('missing Clock not valid');
    expect(() => createAuthService(null as unknown as AuthServiceConfig)).toThrow('missing Clock not valid');
    expect(() => createAuthService({ clock } as unknown as AuthServiceConfig)).toThrow('missing Logger not valid');
    expect(() => createAuthService({ clock, logger: nullLogger } as unknown as AuthServiceConfig)).toThrow('missing UserStore not valid');
    expect(() => createAuthService({ clock, logger: nullLogger, users: new MemoryUserStore(), limits: { tokenTtlMs: -1 } })).toThrow(
      'limits.tokenTtlMs -1 not valid',
    );
  });
});

describe('AuthService.login', () => {
  it('logs a user in on the controller connection with the identity the protocol reports', async () => {
    const { login } = await setup();
    expect(await login('user-bob', 'bob-pw')).toEqual({ kind: 'user', tag: 'user-bob', name: 'bob', displayName: 'Bob', controllerAccess: 'login' });
  });

  it('unknown user, wrong password, empty tag or password and unsupported tags all read the same', async () => {
    const { login } = await setup();
    const same = 'Unauthorized: invalid entity name or password';
    expect(await codeOf(login('user-nobody', 'x'))).toBe(same);
    expect(await codeOf(login('user-bob', 'wrong'))).toBe(same);
    expect(await codeOf(login('', 'bob-pw'))).toBe(same);
    expect(await codeOf(login('user-bob', ''))).toBe(same); // a macaroons-only Login
    expect(await codeOf(login('model-' + M1, 'x', undefined, '10.0.0.2'))).toBe(same);
    expect(await codeOf(login('user-bob', 'x'.repeat(5000), undefined, '10.0.0.2'))).toBe(same);
  });

  it('every failed login is answered only after a jittered 0.5–1 s delay on the clock', async () => {
    const draws = [0, 0.5, 0.999];
    const { auth, clock } = await setup({ random: () => draws.shift() ?? 0 });
    const delays: number[] = [];
    for (const pw of ['a', 'b', 'c']) {
      let settled = false;
      const armed = clock.timerArmed();
      const p = auth.login({ tag: 'user-bob', password: pw, modelUUID: undefined, remoteAddress: '1.1.1.1' }).finally(() => (settled = true));
      p.catch(() => undefined);
      await armed; // the password was checked (real scrypt work); the failure delay is on the clock
      const start = clock.now();
      clock.advance(499);
      await flushMicrotasks(); // a login released early would settle within this turn
      expect(settled).toBe(false); // not before 500 ms
      clock.set(clock.nextDue() ?? clock.now());
      await expect(p).rejects.toMatchObject({ code: 'Unauthorized' });
      delays.push(clock.now() - start);
    }
    expect(delays).toEqual([500, 750, 999.5]);
  });

  it('a model connection needs read on that model; a superuser has admin everywhere', async () => {
    const { auth, login } = await setup();
    expect(await codeOf(login('user-bob', 'bob-pw', M1))).toBe('PermissionDenied: permission denied');
    await auth.admin.grant('bob', M1, 'read');
    const bob = await login('user-bob', 'bob-pw', M1);
    expect(await auth.modelAccess(bob, M1)).toBe('read');
    expect(await auth.modelAccess(bob, M2)).toBe('');
    const admin = await login('user-admin', 'root-pw', M2);
    expect(await auth.modelAccess(admin, M1)).toBe('admin');
    expect(await auth.modelAccess(admin, M2)).toBe('admin');
  });

  it('access is re-read on every call: a revoked grant or a removed user loses access at once', async () => {
    const { auth, login } = await setup();
    await auth.admin.grant('bob', M1, 'write');
    const bob = await login('user-bob', 'bob-pw', M1);
    await auth.admin.revoke('bob', M1);
    expect(await auth.modelAccess(bob, M1)).toBe('');
    await auth.admin.grant('bob', M1, 'admin');
    await auth.admin.removeUser('bob');
    expect(await auth.modelAccess(bob, M1)).toBe('');
  });

  it('an agent logs in only on its own model with the password set for it', async () => {
    const { auth, login } = await setup();
    await auth.admin.setAgentPassword(M1, 'unit-my-app-12', 'agent-pw');
    const agent = await login('unit-my-app-12', 'agent-pw', M1);
    expect(agent).toEqual({ kind: 'agent', tag: 'unit-my-app-12', agent: { kind: 'unit', name: 'my-app/12' }, modelUUID: M1 });
    expect(await auth.modelAccess(agent, M1)).toBe('read');
    expect(await auth.modelAccess(agent, M2)).toBe('');
    const bad = 'Unauthorized: invalid entity name or password';
    expect(await codeOf(login('unit-my-app-12', 'agent-pw', M2))).toBe(bad); // another model
    expect(await codeOf(login('unit-my-app-12', 'agent-pw', undefined))).toBe(bad); // the controller
    expect(await codeOf(login('machine-0', 'agent-pw', M1, '10.0.0.9'))).toBe(bad); // never provisioned
  });

  it('locks an address out after 5 failures in 60 s, without checking the password, for 60 s', async () => {
    const { login, clock, store } = await setup();
    for (let i = 0; i < 5; i++) expect(await codeOf(login(`user-u${i}`, 'x', undefined, '6.6.6.6'))).toMatch(/^Unauthorized/);
    let lookups = 0;
    const getUser = store.getUser.bind(store);
    store.getUser = (n) => {
      lookups++;
      return getUser(n);
    };
    expect(await codeOf(login('user-bob', 'bob-pw', undefined, '6.6.6.6'))).toBe('TryAgain: try again');
    expect(lookups).toBe(0); // the password was not checked
    expect(await login('user-bob', 'bob-pw', undefined, '7.7.7.7')).toMatchObject({ name: 'bob' }); // other address
    clock.advance(60_000);
    expect(await login('user-bob', 'bob-pw', undefined, '6.6.6.6')).toMatchObject({ name: 'bob' });
  });

  it('locks a tag out after 5 failures from any addresses; a success resets the tag', async () => {
    const { login } = await setup();
    for (let i = 0; i < 4; i++) await codeOf(login('user-bob', 'x', undefined, `9.0.0.${i}`));
    await login('user-bob', 'bob-pw', undefined, '9.0.1.0');
    for (let i = 0; i < 4; i++) await codeOf(login('user-bob', 'x', undefined, `9.0.2.${i}`));
    expect(await login('user-bob', 'bob-pw', undefined, '9.0.3.0')).toMatchObject({ name: 'bob' });
    for (let i = 0; i < 5; i++) await codeOf(login('user-bob', 'x', undefined, `9.0.4.${i}`));
    expect(await codeOf(login('user-bob', 'bob-pw', undefined, '9.0.5.0'))).toBe('TryAgain: try again');
  });

  it('a concurrent burst of guesses is cut off once the limit is reached (not all verified)', async () => {
    const { auth, clock, store } = await setup({ limits: { maxConcurrentVerifications: 2 } });
    let lookups = 0;
    const getUser = store.getUser.bind(store);
    store.getUser = (n) => {
      lookups++;
      return getUser(n);
    };
    const burst = Array.from({ length: 30 }, (_, i) =>
      codeOf(auth.login({ tag: 'user-bob', password: `guess${i}`, modelUUID: undefined, remoteAddress: `5.5.${i}.1` })),
    );
    const results = await clock.drive(Promise.all(burst));
    expect(lookups).toBeLessThanOrEqual(5 + 2 - 1);
    expect(results.filter((r) => r === 'TryAgain: try again').length).toBeGreaterThanOrEqual(30 - 6);
    expect(auth.report()).toMatchObject({ 'verifications-running': 0, 'verifications-queued': 0 });
  });

  it('never logs credentials', async () => {
    const logger = new MemoryLogger();
    const { login, auth } = await setup({ logger });
    await codeOf(login('user-bob', 'hunter2-secret'));
    await codeOf(login('user-bob', 'bob-pw', M1));
    await auth.admin.setAgentPassword(M1, 'machine-3', 'agent-secret');
    await codeOf(login('machine-3', 'agent-secretX', M1));
    expect(logger.records.length).toBeGreaterThan(0);
    const text = JSON.stringify(logger.records);
    for (const secret of ['hunter2-secret', 'bob-pw', 'agent-secret']) expect(text).not.toContain(secret);
  });
});

describe('bearer tokens', () => {
  it('resolve to the identity until the TTL passes, then never again', async () => {
    const { auth, login, clock } = await setup({ limits: { tokenTtlMs: 1000 } });
    const bob = await login('user-bob', 'bob-pw');
    const token = await auth.issueToken(bob);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await auth.resolveToken(token)).toEqual(bob);
    expect(await auth.resolveToken(token + 'x')).toBeUndefined();
    expect(await auth.resolveToken('')).toBeUndefined();
    clock.advance(999);
    expect(await auth.resolveToken(token)).toEqual(bob);
    clock.advance(1);
    expect(await auth.resolveToken(token)).toBeUndefined();
    expect(auth.report()['live-tokens']).toBe(0);
  });

  it('are bounded in number: the oldest is dropped first', async () => {
    const { auth } = await setup({ limits: { maxTokens: 3 } });
    const id: Identity = { kind: 'user', tag: 'user-bob', name: 'bob', displayName: 'Bob', controllerAccess: 'login' }; // as stored
    const tokens = [];
    for (let i = 0; i < 5; i++) tokens.push(await auth.issueToken(id));
    expect(auth.report()['live-tokens']).toBe(3);
    expect(await auth.resolveToken(tokens[0]!)).toBeUndefined();
    expect(await auth.resolveToken(tokens[4]!)).toEqual(id);
  });

  it('are revoked when the password changes or the user is removed', async () => {
    const { auth, login } = await setup();
    const bob = await login('user-bob', 'bob-pw');
    const t1 = await auth.issueToken(bob);
    await auth.admin.setPassword('bob', 'new-pw');
    expect(await auth.resolveToken(t1)).toBeUndefined();
    expect(await login('user-bob', 'new-pw')).toMatchObject({ name: 'bob' });
    const t2 = await auth.issueToken(bob);
    await auth.admin.removeUser('bob');
    expect(await auth.resolveToken(t2)).toBeUndefined();
  });

  it('an agent password change revokes that agent\'s tokens in that model only, not those of the same tag in other models', async () => {
    const { auth, login } = await setup();
    await auth.admin.setAgentPassword(M1, 'machine-0', 'pw-1');
    await auth.admin.setAgentPassword(M2, 'machine-0', 'pw-2');
    await auth.admin.setAgentPassword(M1, 'machine-1', 'pw-3');
    const inM1 = await auth.issueToken(await login('machine-0', 'pw-1', M1));
    const inM2 = await auth.issueToken(await login('machine-0', 'pw-2', M2));
    const sibling = await auth.issueToken(await login('machine-1', 'pw-3', M1));
    await auth.admin.setAgentPassword(M1, 'machine-0', 'pw-1b');
    expect(await auth.resolveToken(inM1)).toBeUndefined();
    expect(await auth.resolveToken(inM2)).toMatchObject({ kind: 'agent', tag: 'machine-0', modelUUID: M2 });
    expect(await auth.resolveToken(sibling)).toMatchObject({ kind: 'agent', tag: 'machine-1', modelUUID: M1 });
  });
});

describe('UserAdmin', () => {
  it('validates names, passwords and levels with NotValid, changing nothing', async () => {
    const { auth } = await setup();
    const a = auth.admin;
    await expect(a.addUser({ name: 'Bad Name', password: 'x' })).rejects.toThrow(/^user name "Bad Name" not valid/);
    await expect(a.addUser({ name: 'carol', password: '' })).rejects.toMatchObject({ code: 'NotValid', message: 'password not valid: must be 1 to 1024 characters' });
    await expect(a.addUser({ name: 'carol', password: 'x', controllerAccess: 'root' as never })).rejects.toMatchObject({ code: 'NotValid' });
    await expect(a.grant('bob', M1, 'owner' as never)).rejects.toMatchObject({ code: 'NotValid', message: 'model access "owner" not valid: must be read, write or admin' });
    await expect(a.grant('bob', 'not-a-uuid', 'read')).rejects.toMatchObject({ code: 'NotValid' });
    await expect(a.setAgentPassword(M1, 'user-bob', 'pw')).rejects.toMatchObject({ code: 'NotValid' });
    expect((await a.listUsers()).map((u) => u.name)).toEqual(['admin', 'bob']);
  });

  it('reports AlreadyExists and NotFound', async () => {
    const { auth } = await setup();
    await expect(auth.admin.addUser({ name: 'bob', password: 'x' })).rejects.toMatchObject({ code: 'AlreadyExists', message: 'user "bob" already exists' });
    await expect(auth.admin.removeUser('carol')).rejects.toMatchObject({ code: 'NotFound', message: 'user "carol" not found' });
    await expect(auth.admin.grant('carol', M1, 'read')).rejects.toMatchObject({ code: 'NotFound' });
    await expect(auth.admin.revoke('bob', M1)).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('refuses to remove or demote the last superuser', async () => {
    const { auth } = await setup();
    await expect(auth.admin.removeUser('admin')).rejects.toMatchObject({ code: 'NotValid', message: 'cannot remove the last superuser "admin"' });
    await expect(auth.admin.setControllerAccess('admin', 'login')).rejects.toMatchObject({ code: 'NotValid' });
    await auth.admin.setControllerAccess('bob', 'superuser');
    await auth.admin.setControllerAccess('admin', 'login');
    expect((await auth.admin.getUser('admin'))?.controllerAccess).toBe('login');
  });

  it('lists users with their grants and never a password hash', async () => {
    const { auth } = await setup();
    await auth.admin.grant('bob', M2, 'write');
    await auth.admin.grant('bob', M1, 'read');
    const users = await auth.admin.listUsers();
    expect(users.find((u) => u.name === 'bob')).toEqual({
      name: 'bob', displayName: 'Bob', controllerAccess: 'login', createdAt: 1_000_000,
      models: [{ modelUUID: M1, access: 'read' }, { modelUUID: M2, access: 'write' }],
    });
    expect(JSON.stringify(users)).not.toContain('scrypt');
  });

  it('ensureAdmin creates the admin superuser once, on an empty store only', async () => {
    const clock = new AuthTestClock();
    const auth = createAuthService({ clock, logger: nullLogger, users: new MemoryUserStore() });
    const first = await auth.admin.ensureAdmin();
    expect(first?.name).toBe('admin');
    expect(first?.password).toHaveLength(24);
    expect(await auth.admin.ensureAdmin()).toBeUndefined();
    const id = await clock.drive(auth.login({ tag: 'user-admin', password: first!.password, modelUUID: M1, remoteAddress: 'x' }));
    expect(id).toMatchObject({ controllerAccess: 'superuser' });
    const other = createAuthService({ clock, logger: nullLogger, users: new MemoryUserStore() });
    expect(await other.admin.ensureAdmin('given')).toEqual({ name: 'admin', password: 'given' });
  });
});
