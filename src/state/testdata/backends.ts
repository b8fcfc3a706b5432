// Test helper: the two backends the shared suites run against. SQLite uses a fresh file in
// os.tmpdir(); PostgreSQL a throwaway database (skipped when MODELWATCH_TEST_POSTGRES is unset).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
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

export function postgresBackend(): TestBackend {
  const dbs: TestDatabase[] = [];
  return {
    name: 'postgres',
    describe: describePostgres,
    fresh: async () => {
      const db = await createTestDatabase('state');
      dbs.push(db);
      return db.url;
    },
    cleanup: async () => {
      for (const db of dbs.splice(0)) await db.drop();
    },
  };
}

export const BACKENDS: readonly (() => TestBackend)[] = [sqliteBackend, postgresBackend];

/** A deterministic lower-case UUID for test model n. */
export function modelUUID(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}
