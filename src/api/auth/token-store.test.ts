// Bearer tokens persisted by the user store: they survive a restart, every controller on one
// PostgreSQL database resolves them, and a revocation applies here at once and on the other
// controllers within the token cache time (ManualClock: the cache is the only time involved).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, deferred, nullLogger } from '../../core/index.js';
import { MemoryUserStore, openState } from '../../state/index.js';
import type { State, TokenRecord, UserStore } from '../../state/index.js';
import { createTestDatabase, describePostgres } from '../../testing/index.js';
import type { Identity } from '../services.js';
import { createAuthService } from './auth-service.js';
import type { ControllerAuthService } from './auth-service.js';

const M1 = '11111111-1111-4111-8111-111111111111';
const M2 = '22222222-2222-4222-8222-222222222222';
const CACHE_MS = 2_000;

const bob: Identity = { kind: 'user', tag: 'user-bob', name: 'bob', displayName: 'Bob', controllerAccess: 'login' };
const agentIn = (modelUUID: string, id = '0'): Identity => ({ kind: 'agent', tag: `machine-${id}`, agent: { kind: 'machine', id }, modelUUID });

function authOn(users: UserStore, clock: ManualClock, limits: Parameters<typeof createAuthService>[0]['limits'] = {}): ControllerAuthService {
  return createAuthService({ clock, logger: nullLogger, users, limits: { tokenCacheMs: CACHE_MS, ...limits } });
}

/** Adds bob as the store holds him (the identity tokens of `user-bob` resolve to). */
async function addBob(users: UserStore): Promise<void> {
  await users.addUser({ name: 'bob', displayName: 'Bob', passwordHash: 'scrypt$unused', controllerAccess: 'login', createdAt: 1 });
}

/** Where a controller's database lives, and how to throw it away. */
interface Db {
  url: string;
  drop(): Promise<void>;
}

async function sqliteDb(): Promise<Db> {
  const dir = mkdtempSync(join(tmpdir(), 'modelwatch-tokens-'));
  return { url: `sqlite:${join(dir, 'state.db')}`, drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })) };
}

async function postgresDb(): Promise<Db> {
  const db = await createTestDatabase('tokens');
  return { url: db.url, drop: () => db.drop() };
}

/** States opened by a test, closed after it (before their database is dropped). */
const opened: State[] = [];
const dbs: Db[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  for (const d of dbs.splice(0)) await d.drop();
});

async function open(url: string, clock: ManualClock): Promise<State> {
  const s = await openState(url, { clock });
  opened.push(s);
  return s;
}

for (const [name, makeDb, describeOn] of [['SQLite', sqliteDb, describe], ['PostgreSQL', postgresDb, describePostgres]] as const) {
  describeOn(`bearer tokens on ${name}`, () => {
    it('a token survives a controller restart', async () => {
      const db = await makeDb();
      dbs.push(db);
      const clock = new ManualClock(1_000_000);
      const first = await open(db.url, clock);
      await addBob(first.users());
      const token = await authOn(first.users(), clock).issueToken(bob);
      const agentToken = await authOn(first.users(), clock).issueToken(agentIn(M1));
      await first.close();
      const restarted = await open(db.url, clock);
      const auth = authOn(restarted.users(), clock);
      expect(await auth.resolveToken(token)).toEqual(bob);
      expect(await auth.resolveToken(agentToken)).toEqual(agentIn(M1));
    });

    it('only the SHA-256 of a token is stored, never the token', async () => {
      const db = await makeDb();
      dbs.push(db);
      const clock = new ManualClock(1_000_000);
      const users = (await open(db.url, clock)).users();
      const seen: TokenRecord[] = [];
      const spy = new Proxy(users, {
        get(target, p) {
          if (p === 'putToken') return (t: TokenRecord, max: number) => (seen.push(t), target.putToken(t, max));
          const v: unknown = Reflect.get(target, p);
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
      const token = await authOn(spy, clock).issueToken(agentIn(M1));
      expect(seen).toHaveLength(1);
      expect(JSON.stringify(seen)).not.toContain(token);
      expect(await users.getToken(createHash('sha256').update(token).digest('base64url'))).toMatchObject({ kind: 'agent', tag: 'machine-0', modelUUID: M1 });
    });
  });
}

describePostgres('bearer tokens shared by controllers on one PostgreSQL database', () => {
  /** Controllers A and B: each its own State (pool) and auth service on one database and one clock. */
  async function twoControllers(): Promise<{ clock: ManualClock; a: ControllerAuthService; b: ControllerAuthService; users: UserStore }> {
    const db = await postgresDb();
    dbs.push(db);
    const clock = new ManualClock(1_000_000);
    const sa = await open(db.url, clock);
    const sb = await open(db.url, clock);
    await addBob(sa.users());
    return { clock, a: authOn(sa.users(), clock), b: authOn(sb.users(), clock), users: sa.users() };
  }

  it('a token issued by one controller resolves on another controller sharing the PostgreSQL database', async () => {
    const { a, b } = await twoControllers();
    const token = await a.issueToken(bob);
    const agentToken = await a.issueToken(agentIn(M1));
    expect(await b.resolveToken(token)).toEqual(bob);
    expect(await b.resolveToken(agentToken)).toEqual(agentIn(M1));
  });

  it('a revocation on one controller applies on the other within the cache time', async () => {
    const { clock, a, b } = await twoControllers();
    await a.admin.setAgentPassword(M1, 'machine-0', 'pw');
    const userToken = await a.issueToken(bob);
    const agentToken = await a.issueToken(agentIn(M1));
    expect(await b.resolveToken(userToken)).toEqual(bob); // cached on B from here
    expect(await b.resolveToken(agentToken)).toEqual(agentIn(M1));
    await a.admin.setPassword('bob', 'new-pw');
    await a.admin.setAgentPassword(M1, 'machine-0', 'pw-2');
    expect(await a.resolveToken(userToken)).toBeUndefined(); // at once where it was made
    expect(await a.resolveToken(agentToken)).toBeUndefined();
    clock.advance(CACHE_MS - 1);
    expect(await b.resolveToken(userToken)).toEqual(bob); // the documented window
    clock.advance(1);
    expect(await b.resolveToken(userToken)).toBeUndefined();
    expect(await b.resolveToken(agentToken)).toBeUndefined();
  });

  it('removing a model on one controller revokes its agents\' tokens on both, and only theirs', async () => {
    const { clock, a, b } = await twoControllers();
    const inM1 = [await a.issueToken(agentIn(M1, '0')), await a.issueToken(agentIn(M1, '1'))];
    const inM2 = await a.issueToken(agentIn(M2, '0'));
    const user = await a.issueToken(bob);
    for (const t of inM1) expect(await b.resolveToken(t)).toBeDefined();
    await a.admin.forgetModel(M1);
    for (const t of inM1) expect(await a.resolveToken(t)).toBeUndefined();
    clock.advance(CACHE_MS);
    for (const t of inM1) expect(await b.resolveToken(t)).toBeUndefined();
    expect(await b.resolveToken(inM2)).toEqual(agentIn(M2, '0'));
    expect(await b.resolveToken(user)).toEqual(bob);
  });

  it('a user removed on one controller has no live token on the other after the cache time', async () => {
    const { clock, a, b, users } = await twoControllers();
    const token = await a.issueToken(bob);
    expect(await b.resolveToken(token)).toEqual(bob);
    await a.admin.removeUser('bob');
    clock.advance(CACHE_MS);
    expect(await b.resolveToken(token)).toBeUndefined();
    expect(await users.countTokens()).toBe(0);
  });

  it('the bound counts every controller\'s tokens: the oldest, issued on another controller, is dropped', async () => {
    const db = await postgresDb();
    dbs.push(db);
    const clock = new ManualClock(1_000_000);
    const [sa, sb] = [await open(db.url, clock), await open(db.url, clock)];
    const [a, b] = [authOn(sa.users(), clock, { maxTokens: 2 }), authOn(sb.users(), clock, { maxTokens: 2 })];
    const oldest = await a.issueToken(agentIn(M1, '0'));
    const second = await b.issueToken(agentIn(M1, '1'));
    const third = await b.issueToken(agentIn(M1, '2'));
    expect(await sa.users().countTokens()).toBe(2);
    expect(await a.resolveToken(oldest)).toBeUndefined();
    expect(await a.resolveToken(second)).toBeDefined();
    expect(await a.resolveToken(third)).toBeDefined();
  });
});

describe('bearer token cache', () => {
  async function one(limits: Parameters<typeof createAuthService>[0]['limits'] = {}) {
    const users = new MemoryUserStore();
    await addBob(users);
    const clock = new ManualClock(1_000_000);
    return { users, clock, auth: authOn(users, clock, limits) };
  }

  it('a hot token costs no query within the cache time, one after it', async () => {
    const { users, clock, auth } = await one();
    const token = await auth.issueToken(bob);
    let lookups = 0;
    const getToken = users.getToken.bind(users);
    users.getToken = (d) => (lookups++, getToken(d));
    for (let i = 0; i < 5; i++) expect(await auth.resolveToken(token)).toEqual(bob);
    expect(lookups).toBe(1);
    clock.advance(CACHE_MS);
    expect(await auth.resolveToken(token)).toEqual(bob);
    expect(lookups).toBe(2);
  });

  it('a revocation through this controller applies at once, even to a cached token', async () => {
    const { auth } = await one();
    await auth.admin.setAgentPassword(M1, 'machine-0', 'pw');
    const token = await auth.issueToken(bob);
    const agentToken = await auth.issueToken(agentIn(M1));
    const modelToken = await auth.issueToken(agentIn(M2));
    for (const t of [token, agentToken, modelToken]) expect(await auth.resolveToken(t)).toBeDefined();
    await auth.admin.setPassword('bob', 'new-pw');
    await auth.admin.setAgentPassword(M1, 'machine-0', 'pw-2');
    await auth.admin.forgetModel(M2);
    for (const t of [token, agentToken, modelToken]) expect(await auth.resolveToken(t)).toBeUndefined();
  });

  it('a lookup that read the token before a local revocation does not cache it', async () => {
    const { users, auth } = await one();
    const token = await auth.issueToken(bob);
    const gate = deferred<void>();
    const getToken = users.getToken.bind(users);
    users.getToken = async (d) => {
      const read = await getToken(d); // read before the revocation below
      await gate.promise;
      return read;
    };
    const racing = auth.resolveToken(token);
    users.getToken = getToken;
    await auth.admin.setPassword('bob', 'new-pw');
    gate.resolve();
    expect(await racing).toEqual(bob); // concurrent with the revocation: either answer is linearisable
    expect(await auth.resolveToken(token)).toBeUndefined(); // but it was not cached
  });

  it('a token\'s identity follows its user: a demotion applies to a cached token at once', async () => {
    const { users, auth } = await one();
    await users.updateUser('bob', { controllerAccess: 'superuser' });
    await users.addUser({ name: 'root', displayName: '', passwordHash: 'x', controllerAccess: 'superuser', createdAt: 1 });
    const token = await auth.issueToken(bob);
    expect(await auth.resolveToken(token)).toMatchObject({ controllerAccess: 'superuser' });
    await auth.admin.setControllerAccess('bob', 'login');
    expect(await auth.resolveToken(token)).toMatchObject({ controllerAccess: 'login' });
  });

  it('holds at most maxCachedTokens resolved tokens, and refuses a cache time over 10 s', async () => {
    const { auth } = await one({ maxCachedTokens: 2 });
    for (let i = 0; i < 5; i++) await auth.resolveToken(await auth.issueToken(agentIn(M1, String(i))));
    expect(auth.report()['cached-tokens']).toBe(2);
    expect(() => authOn(new MemoryUserStore(), new ManualClock(), { tokenCacheMs: 10_001 })).toThrow('limits.tokenCacheMs 10001 not valid: must be at most 10000');
  });

  it('expired tokens are purged on issue once per purge interval, and when presented', async () => {
    const { users, clock, auth } = await one({ tokenTtlMs: 1_000, tokenPurgeIntervalMs: 10_000 });
    const presented = await auth.issueToken(agentIn(M1, '0'));
    await auth.issueToken(agentIn(M1, '1'));
    clock.advance(1_000);
    expect(await auth.resolveToken(presented)).toBeUndefined();
    expect(await users.countTokens()).toBe(1); // the presented one is gone, the other waits for a purge
    await auth.issueToken(agentIn(M1, '2'));
    expect(await users.countTokens()).toBe(2); // within the purge interval of the first issue
    clock.advance(9_000);
    await auth.issueToken(agentIn(M1, '3'));
    expect(await users.countTokens()).toBe(1);
    expect(auth.report()['live-tokens']).toBe(1);
  });
});
