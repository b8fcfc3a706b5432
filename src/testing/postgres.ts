// Throwaway PostgreSQL databases for tests. Suites that need PostgreSQL use `describePostgres`:
// skipped (with the global notice) when MODELWATCH_TEST_POSTGRES is unset, failing — not skipping —
// when it is set and the server is unreachable.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe } from 'vitest';

/** The admin URL from MODELWATCH_TEST_POSTGRES, or undefined when PostgreSQL tests are off. */
export function postgresTestUrl(): string | undefined {
  const url = process.env.MODELWATCH_TEST_POSTGRES;
  return url === undefined || url === '' ? undefined : url;
}

/** `describe` that runs only when MODELWATCH_TEST_POSTGRES is set. */
export const describePostgres: typeof describe.skip = postgresTestUrl() === undefined ? describe.skip : describe;

/** A fresh database; `drop()` removes it (terminating leftover connections). */
export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Creates a database named `mw_test_<prefix>_<random>` on the test server. */
export async function createTestDatabase(prefix = 't'): Promise<TestDatabase> {
  const adminUrl = postgresTestUrl();
  if (adminUrl === undefined) throw new Error('MODELWATCH_TEST_POSTGRES is not set');
  const name = `mw_test_${prefix.replace(/[^a-z0-9_]/g, '_')}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
