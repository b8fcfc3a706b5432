// Model-access checks reuse the user row for USER_CACHE_MS: a user watching many models costs one
// read a second, not one per model; changes made through the auth service still apply at once.
import { describe, expect, it } from 'vitest';
import { ManualClock, nullLogger } from '../../core/index.js';
import type { Identity } from '../services.js';
import { MemoryUserStore } from '../../state/index.js';
import type { UserRecord } from '../../state/index.js';
import { createAuthService } from './auth-service.js';
import { MAX_CACHED_USERS, USER_CACHE_MS, UserRecordCache } from './user-cache.js';

const model = (i: number): string => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

/** A memory store that counts user reads, and can be changed behind the auth service's back. */
class CountingStore extends MemoryUserStore {
  reads = 0;
  override getUser(name: string): Promise<UserRecord | undefined> {
    this.reads++;
    return super.getUser(name);
  }
}

async function setup() {
  const clock = new ManualClock(1_000);
  const users = new CountingStore();
  const auth = createAuthService({ clock, logger: nullLogger, users });
  await auth.admin.addUser({ name: 'root', password: 'root-pw', controllerAccess: 'superuser' });
  await auth.admin.addUser({ name: 'bob', password: 'bob-pw' });
  await auth.admin.addUser({ name: 'spare', password: 'spare-pw', controllerAccess: 'superuser' }); // root may be demoted
  const root: Identity = { kind: 'user', tag: 'user-root', name: 'root', displayName: '', controllerAccess: 'superuser' };
  const bob: Identity = { kind: 'user', tag: 'user-bob', name: 'bob', displayName: '', controllerAccess: 'login' };
  return { clock, users, auth, root, bob };
}

describe('user records in model-access checks', () => {
  it('a superuser checked on a thousand models within USER_CACHE_MS costs one user read', async () => {
    const { users, auth, root } = await setup();
    users.reads = 0;
    const answers = await Promise.all(Array.from({ length: 1000 }, (_, i) => auth.modelAccess(root, model(i))));
    expect(new Set(answers)).toEqual(new Set(['admin']));
    expect(users.reads).toBe(1);
  });

  it('is read again once USER_CACHE_MS passed, so a change made by another controller applies within it', async () => {
    const { clock, users, auth, root } = await setup();
    expect(await auth.modelAccess(root, model(1))).toBe('admin');
    await users.updateUser('root', { controllerAccess: 'login' }); // straight into the store: another controller
    clock.advance(USER_CACHE_MS - 1);
    expect(await auth.modelAccess(root, model(2))).toBe('admin');
    clock.advance(1);
    expect(await auth.modelAccess(root, model(2))).toBe('');
  });

  it('a demotion or removal through the auth service applies at once, whatever the cache holds', async () => {
    const { auth, root, bob } = await setup();
    await auth.admin.grant('bob', model(1), 'write');
    expect(await auth.modelAccess(root, model(1))).toBe('admin');
    expect(await auth.modelAccess(bob, model(1))).toBe('write');
    await auth.admin.setControllerAccess('root', 'login');
    expect(await auth.modelAccess(root, model(1))).toBe('');
    await auth.admin.removeUser('bob');
    expect(await auth.modelAccess(bob, model(1))).toBe('');
  });

  it('a missing user or a failed read is not reused: a user added elsewhere is seen on the next check', async () => {
    const clock = new ManualClock(0);
    let fail = true;
    const records = new Map<string, UserRecord>();
    let reads = 0;
    const cache = new UserRecordCache(clock, () => 0, (name) => {
      reads++;
      if (fail) return Promise.reject(new Error('store down'));
      return Promise.resolve(records.get(name));
    });
    await expect(cache.get('carol')).rejects.toThrow('store down');
    fail = false;
    expect(await cache.get('carol')).toBeUndefined();
    records.set('carol', { name: 'carol', displayName: '', passwordHash: 'x', controllerAccess: 'login', createdAt: 0 });
    expect(await cache.get('carol')).toMatchObject({ name: 'carol' });
    expect(await cache.get('carol')).toMatchObject({ name: 'carol' });
    expect(reads).toBe(3);
  });

  it('holds at most MAX_CACHED_USERS records, dropping the oldest', async () => {
    const clock = new ManualClock(0);
    const cache = new UserRecordCache(clock, () => 0, (name) => Promise.resolve({ name, displayName: '', passwordHash: 'x', controllerAccess: 'login', createdAt: 0 }));
    for (let i = 0; i <= MAX_CACHED_USERS; i++) await cache.get(`u${i}`);
    expect(cache.size).toBe(MAX_CACHED_USERS);
  });
});
