import Database from 'better-sqlite3';
import pg from 'pg';
import { describePostgres, createTestDatabase } from '../../testing/index.js';
import { userStoreSuite } from '../../api/auth/testdata/user-store-suite.js';
import { SqliteUserStore } from './sqlite-user-store.js';
import { PostgresUserStore } from './postgres-user-store.js';
import { readFileSync } from 'node:fs';

const txt = readFileSync('/tmp/users-migration.txt', 'utf8');
// eslint-disable-next-line
const m = eval(`(${txt.trim().replace(/,$/, '')})`) as { sqlite: string[]; postgres: string[] };

userStoreSuite('sqlite scratch', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  for (const s of m.sqlite) db.exec(s);
  return Promise.resolve({ store: new SqliteUserStore(db), close: () => Promise.resolve(void db.close()) });
});
describePostgres('pg scratch', () => {
  userStoreSuite('pg scratch', async () => {
    const tdb = await createTestDatabase();
    const pool = new pg.Pool({ connectionString: tdb.url });
    for (const s of m.postgres) await pool.query(s);
    return { store: new PostgresUserStore(pool), close: async () => { await pool.end(); await tdb.drop(); } };
  });
});
