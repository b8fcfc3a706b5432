// Hazard: on PostgreSQL two transactions can take revisions in one order and commit in the other.
// A reader must never pass a revision whose transaction has not committed yet.
import pg from 'pg';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { ManualClock } from '../../core/index.js';
import { createTestDatabase, describePostgres } from '../../testing/index.js';
import type { TestDatabase } from '../../testing/index.js';
import { openState } from '../open-state.js';
import type { State } from '../state.js';
import { modelUUID } from '../testdata/backends.js';
import { WRITE_SQL } from './sql.js';

const M = modelUUID(1);
const entity = (id: string, n: number) => ({ kind: 'machine', modelUUID: M, id, data: { n } });

/** Other sessions of this database waiting for a lock (fresh statistics: not those of the open transaction's snapshot). */
async function lockWaiters(client: pg.Client): Promise<number> {
  await client.query('SELECT pg_stat_clear_snapshot()');
  const r = await client.query(`SELECT count(*)::int AS n FROM pg_stat_activity
    WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() AND datname = current_database()`);
  return (r.rows[0] as { n: number }).n;
}

describePostgres('postgres revision order', () => {
  let db: TestDatabase;
  let state: State;
  let raw: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase('revorder');
    state = await openState(db.url, { clock: new ManualClock(0) });
    raw = new pg.Client({ connectionString: db.url });
    await raw.connect();
  });

  afterAll(async () => {
    await raw.end();
    await state.close();
    await db.drop();
  });

  it('a reader never passes a revision that commits later', async () => {
    await state.update(entity('base', 0)); // rev 1
    // Transaction A takes its revision (2) and stays open, exactly as a slow writer would.
    await raw.query('BEGIN');
    const a = await raw.query(WRITE_SQL, [[M], ['machine'], ['slow'], ['{"n":1}'], [], [], [], [], [0], [0], []]);
    expect(Number((a.rows[0] as { rev: string }).rev)).toBe(2);
    // Transaction B starts after A and must not become visible before A.
    let bDone = false;
    const b = state.update(entity('fast', 2)).then((rev) => {
      bDone = true;
      return rev;
    });
    // B is queued behind A's lock in this database (not merely slow to start): it cannot have committed.
    await vi.waitFor(async () => expect(await lockWaiters(raw)).toBeGreaterThan(0), { timeout: 10_000, interval: 20 });
    expect(bDone).toBe(false);
    expect(await state.revision()).toBe(1);
    expect(await state.changesSince(1)).toEqual([]);
    await raw.query('COMMIT');
    expect(await b).toBe(3);
    const seen = await state.changesSince(1);
    expect(seen.map((c) => [c.rev, c.id])).toEqual([[2, 'slow'], [3, 'fast']]);
  });

  it('a rolled-back transaction consumes no revision', async () => {
    const before = await state.revision();
    await raw.query('BEGIN');
    await raw.query(WRITE_SQL, [[M], ['machine'], ['rolled-back'], ['{"n":9}'], [], [], [], [], [0], [0], []]);
    await raw.query('ROLLBACK');
    expect(await state.update(entity('after', 1))).toBe(before + 1);
    expect((await state.changesSince(before)).map((c) => c.id)).toEqual(['after']);
  });
});
