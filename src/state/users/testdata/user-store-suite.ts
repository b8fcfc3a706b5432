// The UserStore contract, run against every implementation (memory, SQLite, PostgreSQL).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UserRecord, UserStore } from '../user-store.js';

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

    it('returned records are copies: mutating one does not change the store', async () => {
      await f.store.addUser(user('amy'));
      const u = (await f.store.getUser('amy')) as { displayName: string };
      u.displayName = 'mutated';
      expect((await f.store.getUser('amy'))?.displayName).toBe('amy display');
    });
  });
}
