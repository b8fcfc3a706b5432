// Test helper: the two backends the shared suites run against. SQLite uses a fresh file in
// os.tmpdir(); PostgreSQL a throwaway database (skipped when MODELWATCH_TEST_POSTGRES is unset).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe } from 'vitest';
import { ManualClock } from '../../core/index.js';
import { openState } from '../open-state.js';
import type { State } from '../state.js';
import { createTestDatabase, describePostgres } from '../../testing/index.js';
import type { TestDatabase } from '../../testing/index.js';

export interface TestBackend {
  name: 'sqlite' | 'postgres';
  describe: typeof describe.skip;
  /** A fresh, empty location; cleaned up by `cleanup()`. */
  fresh(): Promise<string>;
  cleanup(): Promise<void>;
}

export function sqliteBackend(): TestBackend {
  const dirs: string[] = [];
  return {
    name: 'sqlite',
    describe,
    fresh: () => {
      const dir = mkdtempSync(join(tmpdir(), 'mw-state-'));
      dirs.push(dir);
      return Promise.resolve(`sqlite:${join(dir, 'state.db')}`);
    },
    cleanup: () => {
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

/**
 * One throwaway database per suite and a fresh schema per `fresh()` (CREATE SCHEMA takes
 * milliseconds, CREATE DATABASE much longer); the URL selects it through search_path.
 */
export function postgresBackend(): TestBackend {
  let db: TestDatabase | undefined;
  let n = 0;
  return {
    name: 'postgres',
    describe: describePostgres,
    fresh: async () => {
      db ??= await createTestDatabase('state');
      const schema = `s${++n}`;
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        await c.query(`CREATE SCHEMA ${schema}`);
      } finally {
        await c.end();
      }
      const u = new URL(db.url);
      u.searchParams.set('options', `-c search_path=${schema}`);
      return u.toString();
    },
    cleanup: async () => {
      await db?.drop();
      db = undefined;
    },
  };
}

export const BACKENDS: readonly (() => TestBackend)[] = [sqliteBackend, postgresBackend];

/** A deterministic lower-case UUID for test model n. */
export function modelUUID(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/**
 * Inside a backend's describe: a fresh State (ManualClock at `startMs`) before each test, closed after
 * it, and the backend cleaned up after the suite. Returns the current test's State.
 */
export function freshStatePerTest(backend: TestBackend, startMs = 1_000): () => State {
  let state: State | undefined;
  beforeEach(async () => {
    state = await openState(await backend.fresh(), { clock: new ManualClock(startMs) });
  });
  afterEach(async () => {
    await state?.close();
    state = undefined;
  });
  afterAll(async () => {
    await backend.cleanup();
  });
  return () => {
    if (state === undefined) throw new Error('no state outside a test');
    return state;
  };
}
