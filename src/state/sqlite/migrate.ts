// Applies pending migrations to a SQLite database in one IMMEDIATE transaction (so two processes
// opening the same file at once migrate it once), refusing a database newer than the code.
import type { Database } from 'better-sqlite3';
import { META, MIGRATIONS, pendingMigrations } from '../schema/migrations.js';
import type { Migration } from '../schema/migrations.js';

/** Migrates `db` to the latest version; returns the versions applied (empty when up to date). */
export function migrateSqlite(db: Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const run = db.transaction((): number[] => {
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").pluck().get() !== undefined;
    const current = hasMeta ? Number(db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(META.schemaVersion) ?? 0) : 0;
    const applied: number[] = [];
    for (const m of pendingMigrations(current, migrations)) {
      for (const sql of m.sqlite) db.exec(sql);
      db.prepare('UPDATE meta SET value = ? WHERE key = ?').run(m.version, META.schemaVersion);
      applied.push(m.version);
    }
    return applied;
  });
  return run.immediate();
}
