// The UserStore contract, run against every implementation (memory, SQLite, PostgreSQL).
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TokenRecord, UserRecord, UserStore } from '../user-store.js';

/** A store under test and how to dispose of it. */
export interface UserStoreFixture {
  store: UserStore;
  close(): Promise<void>;
}

const M1 = '11111111-1111-4111-8111-111111111111';
const M2 = '22222222-2222-4222-8222-222222222222';

function user(name: string, extra: Partial<UserRecord> = {}): UserRecord {
  return { name, displayName: `${name} display`, passwordHash: `scrypt$1$1$1$c2FsdA==$${name}`, controllerAccess: 'login', createdAt: 1_700_000_000_123, ...extra };
}

/** A token record of a user (`user-<name>`) or, with a model, of an agent; digest from `n`. */
function token(n: number, tag: string, times: { issuedAt?: number; expiresAt?: number; modelUUID?: string } = {}): TokenRecord {
  const digest = createHash('sha256').update(`token-${n}`).digest('base64url');
  const { issuedAt = 1_000, expiresAt = 1_000_000, modelUUID } = times;
  return modelUUID === undefined ? { digest, kind: 'user', tag, issuedAt, expiresAt } : { digest, kind: 'agent', tag, modelUUID, issuedAt, expiresAt };
}

/** Digests of tokens n…, for comparing what a store kept. */
async function kept(s: UserStore, ns: readonly number[]): Promise<number[]> {
  const out: number[] = [];
  for (const n of ns) if ((await s.getToken(token(n, 'user-x').digest)) !== undefined) out.push(n);
  return out;
}

/** Registers the contract tests under `describe(name)`. */
export function userStoreSuite(name: string, open: () => Promise<UserStoreFixture>): void {
  describe(`UserStore contract: ${name}`, () => {
    let f: UserStoreFixture;
    beforeEach(async () => {
      f = await open();
    });
    afterEach(async () => {
      await f.close();
    });

    it('round-trips a user with every field, ordered listing and count', async () => {
      const s = f.store;
      await s.addUser(user('zed', { controllerAccess: 'superuser', displayName: 'Zed Ünicode' }));
      await s.addUser(user('amy'));
      await s.addUser(user('Bob'));
      expect(await s.getUser('zed')).toEqual(user('zed', { controllerAccess: 'superuser', displayName: 'Zed Ünicode' }));
      expect(await s.getUser('nobody')).toBeUndefined();
      expect((await s.listUsers()).map((u) => u.name)).toEqual(['Bob', 'amy', 'zed']); // code-unit order
      expect(await s.countUsers()).toBe(3);
    });

    it('adding an existing user fails with AlreadyExists and changes nothing', async () => {
      await f.store.addUser(user('amy'));
      await expect(f.store.addUser(user('amy', { displayName: 'other' }))).rejects.toMatchObject({ code: 'AlreadyExists', message: 'user "amy" already exists' });
      expect((await f.store.getUser('amy'))?.displayName).toBe('amy display');
    });

    it('updates only the patched fields; unknown users report false', async () => {
      await f.store.addUser(user('amy'));
      expect(await f.store.updateUser('amy', { passwordHash: 'h2' })).toBe(true);
      expect(await f.store.updateUser('amy', { controllerAccess: 'superuser', displayName: 'A' })).toBe(true);
      expect(await f.store.getUser('amy')).toEqual(user('amy', { passwordHash: 'h2', controllerAccess: 'superuser', displayName: 'A' }));
      expect(await f.store.updateUser('nobody', { passwordHash: 'x' })).toBe(false);
    });

    it('removing a user removes their grants (a re-created user does not inherit them)', async () => {
      await f.store.addUser(user('amy'));
      await f.store.setModelAccess('amy', M1, 'write');
      expect(await f.store.removeUser('amy')).toBe(true);
      expect(await f.store.removeUser('amy')).toBe(false);
      await f.store.addUser(user('amy'));
      expect(await f.store.getModelAccess('amy', M1)).toBeUndefined();
      expect(await f.store.listModelAccess()).toEqual([]);
    });

    it('grants are per (user, model), replaceable, removable and listed in order', async () => {
      const s = f.store;
      await s.addUser(user('amy'));
      await s.addUser(user('bob'));
      await s.setModelAccess('bob', M2, 'read');
      await s.setModelAccess('amy', M2, 'admin');
      await s.setModelAccess('amy', M1, 'read');
      await s.setModelAccess('amy', M1, 'write');
      expect(await s.getModelAccess('amy', M1)).toBe('write');
      expect(await s.getModelAccess('bob', M1)).toBeUndefined();
      expect(await s.listModelAccess()).toEqual([
        { user: 'amy', modelUUID: M1, access: 'write' },
        { user: 'amy', modelUUID: M2, access: 'admin' },
        { user: 'bob', modelUUID: M2, access: 'read' },
      ]);
      expect(await s.listModelAccess({ modelUUID: M2 })).toHaveLength(2);
      expect(await s.listModelAccess({ user: 'bob', modelUUID: M2 })).toEqual([{ user: 'bob', modelUUID: M2, access: 'read' }]);
      await expect(s.setModelAccess('nobody', M1, 'read')).rejects.toMatchObject({ code: 'NotFound', message: 'user "nobody" not found' });
      expect(await s.removeModelAccess('amy', M1)).toBe(true);
      expect(await s.removeModelAccess('amy', M1)).toBe(false);
      expect(await s.getModelAccess('amy', M1)).toBeUndefined();
    });

    it('agent credentials are per (model, tag): the same tag in another model is another agent', async () => {
      const s = f.store;
      await s.setAgentCredential(M1, 'machine-0', 'h1');
      expect(await s.getAgentCredential(M1, 'machine-0')).toBe('h1');
      expect(await s.getAgentCredential(M2, 'machine-0')).toBeUndefined();
      await s.setAgentCredential(M1, 'machine-0', 'h2');
      expect(await s.getAgentCredential(M1, 'machine-0')).toBe('h2');
      expect(await s.removeAgentCredential(M1, 'machine-0')).toBe(true);
      expect(await s.removeAgentCredential(M1, 'machine-0')).toBe(false);
    });

    it('forgetting a model drops its grants and agents only', async () => {
      const s = f.store;
      await s.addUser(user('amy'));
      await s.setModelAccess('amy', M1, 'read');
      await s.setModelAccess('amy', M2, 'read');
      await s.setAgentCredential(M1, 'unit-app-0', 'h');
      await s.setAgentCredential(M2, 'unit-app-0', 'h');
      await s.forgetModel(M1);
      expect(await s.listModelAccess()).toEqual([{ user: 'amy', modelUUID: M2, access: 'read' }]);
      expect(await s.getAgentCredential(M1, 'unit-app-0')).toBeUndefined();
      expect(await s.getAgentCredential(M2, 'unit-app-0')).toBe('h');
      expect(await s.getUser('amy')).toBeDefined();
    });

    it('a token round-trips by its digest with its holder and times (an agent with its model)', async () => {
      const s = f.store;
      const bob = token(1, 'user-bob', { issuedAt: 1_700_000_000_123, expiresAt: 1_700_086_400_123 });
      const agent = token(2, 'machine-0-lxd-1', { modelUUID: M1 });
      expect(await s.putToken(bob, 10)).toEqual({ count: 1, dropped: 0 });
      expect(await s.putToken(agent, 10)).toEqual({ count: 2, dropped: 0 });
      expect(await s.getToken(bob.digest)).toEqual(bob);
      expect(await s.getToken(agent.digest)).toEqual(agent);
      expect(await s.getToken(token(3, 'user-bob').digest)).toBeUndefined();
      expect(await s.countTokens()).toBe(2);
      await expect(s.putToken({ ...bob, tag: 'user-eve' }, 10)).rejects.toMatchObject({ code: 'AlreadyExists' });
      expect(await s.getToken(bob.digest)).toEqual(bob); // the refused put changed nothing
      expect(await s.deleteToken(bob.digest)).toBe(true);
      expect(await s.deleteToken(bob.digest)).toBe(false);
      expect(await s.countTokens()).toBe(1);
    });

    it('over the token bound, expired tokens go first, then the oldest issued, never the new one', async () => {
      const s = f.store;
      await s.putToken(token(1, 'user-a', { issuedAt: 0, expiresAt: 100 }), 3);
      await s.putToken(token(2, 'user-a', { issuedAt: 0 }), 3);
      await s.putToken(token(3, 'user-a', { issuedAt: 0, expiresAt: 50 }), 3); // under the bound: expired ones stay
      expect(await s.countTokens()).toBe(3);
      expect(await s.putToken(token(4, 'user-a', { issuedAt: 100 }), 3)).toEqual({ count: 2, dropped: 2 }); // 1 and 3 expired
      expect(await kept(s, [1, 2, 3, 4])).toEqual([2, 4]);
      await s.putToken(token(5, 'user-a', { issuedAt: 100 }), 3);
      // Same millisecond: issue order decides, so 2 goes, then 4 and 5.
      expect(await s.putToken(token(6, 'user-a', { issuedAt: 100 }), 3)).toEqual({ count: 3, dropped: 1 });
      expect(await s.putToken(token(7, 'user-a', { issuedAt: 100 }), 2)).toEqual({ count: 2, dropped: 2 });
      expect(await kept(s, [2, 4, 5, 6, 7])).toEqual([6, 7]);
      expect(await s.countTokens()).toBe(2);
    });

    it('revokes a user\'s tokens, one agent\'s in one model, or every agent\'s of a model, and nothing else', async () => {
      const s = f.store;
      await s.putToken(token(1, 'user-bob'), 100);
      await s.putToken(token(2, 'user-bob'), 100);
      await s.putToken(token(3, 'user-amy'), 100);
      await s.putToken(token(4, 'machine-0', { modelUUID: M1 }), 100);
      await s.putToken(token(5, 'machine-0', { modelUUID: M2 }), 100); // the same tag in another model: another agent
      await s.putToken(token(6, 'machine-1', { modelUUID: M1 }), 100);
      await s.putToken(token(7, 'unit-app-0', { modelUUID: M1 }), 100);
      expect(await s.deleteUserTokens('user-bob')).toBe(2);
      expect(await s.deleteUserTokens('machine-1')).toBe(0); // an agent's tag is not a user's
      expect(await kept(s, [1, 2, 3, 4, 5, 6, 7])).toEqual([3, 4, 5, 6, 7]);
      expect(await s.deleteAgentTokens(M1, 'machine-0')).toBe(1);
      expect(await kept(s, [3, 4, 5, 6, 7])).toEqual([3, 5, 6, 7]);
      expect(await s.deleteModelTokens(M1)).toBe(2);
      expect(await kept(s, [3, 5, 6, 7])).toEqual([3, 5]);
      expect(await s.countTokens()).toBe(2);
    });

    it('purges exactly the tokens whose expiry has come (expiresAt <= now)', async () => {
      const s = f.store;
      await s.putToken(token(1, 'user-a', { expiresAt: 5_000 }), 100);
      await s.putToken(token(2, 'user-a', { expiresAt: 5_001 }), 100);
      await s.putToken(token(3, 'machine-0', { modelUUID: M1, expiresAt: 4_000 }), 100);
      expect(await s.purgeExpiredTokens(4_999)).toBe(1);
      expect(await s.purgeExpiredTokens(5_000)).toBe(1);
      expect(await kept(s, [1, 2, 3])).toEqual([2]);
    });

    it('removing a user or forgetting a model takes their tokens with it, and only theirs', async () => {
      const s = f.store;
      await s.addUser(user('amy'));
      await s.putToken(token(1, 'user-amy'), 100);
      await s.putToken(token(2, 'user-bob'), 100);
      await s.putToken(token(3, 'unit-app-0', { modelUUID: M1 }), 100);
      await s.putToken(token(4, 'unit-app-0', { modelUUID: M2 }), 100);
      await s.removeUser('amy');
      expect(await kept(s, [1, 2, 3, 4])).toEqual([2, 3, 4]);
      await s.forgetModel(M1);
      expect(await kept(s, [2, 3, 4])).toEqual([2, 4]);
    });

    it('returned records are copies: mutating one does not change the store', async () => {
      await f.store.addUser(user('amy'));
      const u = (await f.store.getUser('amy')) as { displayName: string };
      u.displayName = 'mutated';
      expect((await f.store.getUser('amy'))?.displayName).toBe('amy display');
    });
  });
}
