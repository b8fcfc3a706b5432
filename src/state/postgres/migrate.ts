// Applies pending migrations to a PostgreSQL database in one transaction under an advisory lock, so
// controllers opening the same database at once migrate it exactly once.
import type { ClientBase } from 'pg';
import { META, MIGRATIONS, pendingMigrations } from '../schema/migrations.js';
import type { Migration } from '../schema/migrations.js';

/** Advisory lock key of schema migration ("mw" + "schema" as a recognisable constant). */
const MIGRATION_LOCK = 0x6d77_5343;

/** Migrates the database of `client` to the latest version; returns the versions applied. */
export async function migratePostgres(client: ClientBase, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    const has = await client.query<{ t: string | null }>("SELECT to_regclass('meta')::text AS t");
    let current = 0;
    if (has.rows[0]?.t != null) {
      const v = await client.query<{ value: string }>('SELECT value FROM meta WHERE key = $1', [META.schemaVersion]);
      current = Number(v.rows[0]?.value ?? 0);
    }
    const applied: number[] = [];
    for (const m of pendingMigrations(current, migrations)) {
      for (const sql of m.postgres) await client.query(sql);
      await client.query('UPDATE meta SET value = $1 WHERE key = $2', [m.version, META.schemaVersion]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
