// Migrations: applied at open, idempotent when re-run, append-only, and a database newer than the
// code is refused with a clear error instead of being misread.
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { ManualClock, hasCode } from '../../core/index.js';
import { openState } from '../open-state.js';
import { migratePostgres } from '../postgres/migrate.js';
import { migrateSqlite } from '../sqlite/migrate.js';
import { BACKENDS } from '../testdata/backends.js';
import { MIGRATIONS, SCHEMA_VERSION, pendingMigrations } from './migrations.js';
import type { Migration } from './migrations.js';

const extra: Migration = {
  version: SCHEMA_VERSION + 1,
  name: 'test: users',
  sqlite: ['CREATE TABLE test_users (name TEXT PRIMARY KEY)'],
  postgres: ['CREATE TABLE test_users (name TEXT PRIMARY KEY)'],
};

it('versions are 1..n in order and pending ones follow the current version', () => {
  expect(MIGRATIONS.map((m) => m.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
  expect(pendingMigrations(0).map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
  expect(pendingMigrations(SCHEMA_VERSION)).toEqual([]);
  const err = (() => {
    try {
      pendingMigrations(SCHEMA_VERSION + 1);
      return undefined;
    } catch (e) {
      return e;
    }
  })();
  expect(hasCode(err, 'NotValid')).toBe(true);
  expect((err as Error).message).toContain('newer than this code');
});

/** Runs SQL against the backend's database directly (outside the State). */
async function withRaw<T>(url: string, fn: (run: (sql: string, params?: unknown[]) => Promise<unknown[]>, migrate: (m: readonly Migration[]) => Promise<number[]>) => Promise<T>): Promise<T> {
  if (url.startsWith('sqlite:')) {
    const db = new Database(url.slice('sqlite:'.length));
    try {
      return await fn(
        (sql, params = []) => Promise.resolve(sql.trim().toUpperCase().startsWith('SELECT') ? db.prepare(sql).raw().all(...params) : (db.prepare(sql).run(...params), [])),
        (m) => Promise.resolve(migrateSqlite(db, m)),
      );
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(async (sql, params = []) => (await client.query({ text: sql, values: params, rowMode: 'array' })).rows, (m) => migratePostgres(client, m));
  } finally {
    await client.end();
  }
}

for (const makeBackend of BACKENDS) {
  const backend = makeBackend();
  backend.describe(`migrations on ${backend.name}`, () => {
    afterAll(() => backend.cleanup());

    it('open migrates to the latest version; re-running is a no-op; new migrations apply once', async () => {
      const url = await backend.fresh();
      const s1 = await openState(url, { clock: new ManualClock(0) });
      await s1.update({ kind: 'model', modelUUID: '00000000-0000-4000-8000-000000000001', id: '00000000-0000-4000-8000-000000000001', data: {} });
      await s1.close();
      const s2 = await openState(url, { clock: new ManualClock(0) }); // re-run: keeps the data
      expect(await s2.revision()).toBe(1);
      await s2.close();
      await withRaw(url, async (run, migrate) => {
        expect((await run("SELECT value FROM meta WHERE key = 'schema-version'")).map((r) => Number((r as unknown[])[0]))).toEqual([SCHEMA_VERSION]);
        // The presence tables of spec/presence.md §3.4, with their defaults.
        await run("INSERT INTO presence_pings (model_uuid, slot, field_key) VALUES ('m', 1, 'a')");
        expect((await run('SELECT alive, dead FROM presence_pings')).map((r) => (r as unknown[]).map(Number))).toEqual([[0, 0]]);
        await run("INSERT INTO presence_seqs (model_uuid, seq) VALUES ('m', 1)");
        await run("INSERT INTO presence_beings (model_uuid, seq, key) VALUES ('m', 1, 'unit-mysql-0')");
        expect(await migrate(MIGRATIONS)).toEqual([]);
        expect(await migrate([...MIGRATIONS, extra])).toEqual([extra.version]);
        expect(await migrate([...MIGRATIONS, extra])).toEqual([]);
      });
    });

    it('a database at schema version 3 (before bearer tokens) migrates and keeps its users, grants and agents', async () => {
      const url = await backend.fresh();
      const m = '00000000-0000-4000-8000-000000000001';
      await withRaw(url, async (run, migrate) => {
        expect(await migrate(MIGRATIONS.filter((x) => x.version <= 3))).toEqual([1, 2, 3]);
        await run("INSERT INTO users (name, display_name, password_hash, controller_access, created_at) VALUES ('amy', 'Amy', 'h-amy', 'superuser', 5)");
        await run(`INSERT INTO model_access (user_name, model_uuid, access) VALUES ('amy', '${m}', 'write')`);
        await run(`INSERT INTO agent_credentials (model_uuid, tag, password_hash) VALUES ('${m}', 'machine-0', 'h-m0')`);
      });
      const state = await openState(url, { clock: new ManualClock(0) });
      try {
        const users = state.users();
        expect(await users.listUsers()).toEqual([{ name: 'amy', displayName: 'Amy', passwordHash: 'h-amy', controllerAccess: 'superuser', createdAt: 5 }]);
        expect(await users.getModelAccess('amy', m)).toBe('write');
        expect(await users.getAgentCredential(m, 'machine-0')).toBe('h-m0');
        const token = { digest: 'd', kind: 'agent', tag: 'machine-0', modelUUID: m, issuedAt: 1, expiresAt: 2 } as const;
        expect(await users.putToken(token, 10)).toEqual({ count: 1, dropped: 0 }); // the new table is there
        expect(await users.getToken('d')).toEqual(token);
      } finally {
        await state.close();
      }
      await withRaw(url, async (run) => {
        expect((await run("SELECT value FROM meta WHERE key = 'schema-version'")).map((r) => Number((r as unknown[])[0]))).toEqual([SCHEMA_VERSION]);
      });
    });

    it('a database newer than the code is refused with a clear error and left untouched', async () => {
      const url = await backend.fresh();
      await (await openState(url)).close();
      await withRaw(url, (run) => run("UPDATE meta SET value = 99 WHERE key = 'schema-version'"));
      const err = await openState(url).catch((x: unknown) => x);
      expect(hasCode(err, 'NotValid'), String(err)).toBe(true);
      expect((err as Error).message).toBe(`database schema version 99 is newer than this code supports (${SCHEMA_VERSION}): upgrade modelwatch before opening it`);
      await withRaw(url, async (run) => {
        expect((await run("SELECT value FROM meta WHERE key = 'schema-version'")).map((r) => Number((r as unknown[])[0]))).toEqual([99]);
      });
    });
  });
}
