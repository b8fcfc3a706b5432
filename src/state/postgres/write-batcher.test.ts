// Group commit on PostgreSQL (write-batcher.ts): applies issued together by one process share a
// statement, yet each keeps its own revision, in call order, and its own atomicity: a plan that
// overlaps the batch waits for the next one, and a plan the database refuses fails alone.
import pg from 'pg';
import { afterAll, afterEach, beforeEach, expect, it } from 'vitest';
import { ManualClock } from '../../core/index.js';
import type { EntityInfo } from '../../core/index.js';
import { openState } from '../open-state.js';
import type { State } from '../state.js';
import { modelUUID, postgresBackend } from '../testdata/backends.js';

const M = modelUUID(1);
const machine = (id: string, n: number): EntityInfo => ({ kind: 'machine', modelUUID: M, id, data: { n } });
const backend = postgresBackend();

function batches(state: State): number {
  return (state as unknown as { report(): { driver: { batches: number } } }).report().driver.batches;
}

backend.describe('postgres group commit', () => {
  let url: string;
  let state: State;

  beforeEach(async () => {
    url = await backend.fresh();
    state = await openState(url, { clock: new ManualClock(1_000) });
  });
  afterEach(async () => {
    await state.close();
  });
  afterAll(async () => {
    await backend.cleanup();
  });

  it('concurrent applies share statements, each at its own revision in call order', async () => {
    const revs = await Promise.all(Array.from({ length: 10 }, (_, i) => state.update(machine(`m${i}`, i))));
    expect(revs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(batches(state)).toBeLessThan(10);
    const changes = await state.changesSince(0);
    expect(changes.map((c) => [c.rev, c.id])).toEqual(revs.map((rev, i) => [rev, `m${i}`]));
  });

  it('a plan that overlaps the batch waits for the next one; a no-op takes no revision', async () => {
    const first = state.update(machine('blocker', 0)); // goes alone; the rest queue behind it
    const p1 = state.update(machine('x', 1));
    const p2 = state.update(machine('x', 2)); // same entity as p1: next batch
    const p3 = state.update(machine('y', 1));
    const p4 = state.update(machine('y', 1)); // same data as p3, after it: nothing to change
    const p5 = state.remove({ kind: 'machine', modelUUID: M, id: 'never-there' });
    expect(await Promise.all([first, p1, p2, p3])).toEqual([1, 2, 3, 4]);
    expect(await p4).toBe(4);
    expect(await p5).toBe(4);
    expect((await state.get({ kind: 'machine', modelUUID: M, id: 'x' }))?.data).toEqual({ n: 2 });
    expect((await state.changesSince(0)).map((c) => [c.rev, c.id])).toEqual([[1, 'blocker'], [2, 'x'], [3, 'x'], [4, 'y']]);
  });

  it('a model removal in a burst runs alone, between the plans around it', async () => {
    const first = state.update(machine('blocker', 0));
    const before = state.update(machine('a', 1));
    const removal = state.remove({ kind: 'model', modelUUID: M, id: M });
    const after = state.update(machine('b', 1));
    expect(await Promise.all([first, before, removal, after])).toEqual([1, 2, 3, 4]);
    expect((await state.list()).map((e) => e.id)).toEqual(['b']);
    expect((await state.changesSince(2)).map((c) => [c.rev, c.id, c.removed])).toEqual([
      [3, 'a', true], [3, 'blocker', true], [4, 'b', false],
    ]);
  });

  it('a plan the database refuses fails alone; the rest of its batch commits', async () => {
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    try {
      await raw.query(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.id = 'poison' THEN RAISE EXCEPTION 'poison refused'; END IF; RETURN NEW; END $$`);
      await raw.query('CREATE TRIGGER refuse_poison BEFORE INSERT ON entities FOR EACH ROW EXECUTE FUNCTION refuse_poison()');
    } finally {
      await raw.end();
    }
    const first = state.update(machine('blocker', 0));
    const good1 = state.update(machine('good1', 1));
    const poison = state.update(machine('poison', 1));
    const good2 = state.update(machine('good2', 1));
    await expect(poison).rejects.toThrow('poison refused');
    expect(await Promise.all([first, good1, good2])).toEqual([1, 2, 3]);
    expect((await state.list()).map((e) => e.id)).toEqual(['blocker', 'good1', 'good2']);
    expect((await state.changesSince(0)).map((c) => [c.rev, c.id])).toEqual([[1, 'blocker'], [2, 'good1'], [3, 'good2']]);
  });
});
