import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, describePostgres } from '../../testing/index.js';
import { openState } from '../index.js';
import { MemoryUserStore } from './memory-user-store.js';
import { userStoreSuite } from './testdata/user-store-suite.js';

userStoreSuite('memory', () => Promise.resolve({ store: new MemoryUserStore(), close: () => Promise.resolve() }));

userStoreSuite('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'modelwatch-users-'));
  const state = await openState(`sqlite:${join(dir, 'state.db')}`);
  return {
    store: state.users(),
    close: async () => {
      await state.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describePostgres('PostgreSQL user store', () => {
  userStoreSuite('postgres', async () => {
    const db = await createTestDatabase('users');
    const state = await openState(db.url);
    return {
      store: state.users(),
      close: async () => {
        await state.close();
        await db.drop();
      },
    };
  });
});

describe('State.users()', () => {
  it('users survive reopening the database (they are stored, not cached)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelwatch-users-'));
    const url = `sqlite:${join(dir, 'state.db')}`;
    try {
      const a = await openState(url);
      await a.users().addUser({ name: 'amy', displayName: '', passwordHash: 'h', controllerAccess: 'superuser', createdAt: 5 });
      await a.users().setAgentCredential('11111111-1111-4111-8111-111111111111', 'machine-0', 'h0');
      await a.close();
      const b = await openState(url);
      expect(await b.users().getUser('amy')).toMatchObject({ controllerAccess: 'superuser', createdAt: 5 });
      expect(await b.users().getAgentCredential('11111111-1111-4111-8111-111111111111', 'machine-0')).toBe('h0');
      await b.close();
      expect(() => b.users()).toThrow(); // a closed state hands out nothing
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
