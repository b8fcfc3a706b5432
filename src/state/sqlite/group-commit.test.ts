// Group commit on SQLite: the applies of one event-loop turn share one transaction, yet each keeps
// its own revision, in call order, and its own atomicity (a plan the database refuses rolls back
// alone); a revision's rows come in log order whichever way a backing takes them; close() writes
// what was accepted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../core/index.js';
import type { EntityInfo } from '../../core/index.js';
import { openState } from '../open-state.js';
import type { State } from '../state.js';
import { modelUUID } from '../testdata/backends.js';
import { WalCheckpointer } from './checkpointer.js';

const M = modelUUID(1);
const machine = (id: string, n: number): EntityInfo => ({ kind: 'machine', modelUUID: M, id, data: { n } });
/** A trigger on the file that refuses an entity with id 'poison' with RAISE(action, message). */
function poisonTrigger(path: string, action: 'ABORT' | 'ROLLBACK', message: string): void {
  const raw = new Database(path);
  raw.exec(`CREATE TRIGGER poison BEFORE INSERT ON entities WHEN NEW.id = 'poison' BEGIN SELECT RAISE(${action}, '${message}'); END`);
  raw.close();
}
const groupCommit = (s: State) => (s as unknown as { report(): { driver: { groupCommit: { batches: number; plansInBatches: number } } } }).report().driver.groupCommit;

describe('sqlite group commit', () => {
  let dir: string;
  let path: string;
  let state: State;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mw-gc-'));
    path = join(dir, 'state.db');
    state = await openState(`sqlite:${path}`, { clock: new ManualClock(1_000) });
  });
  afterEach(async () => {
    await state.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies of one turn share a transaction, each at its own revision in call order', async () => {
    const revs = await Promise.all(Array.from({ length: 10 }, (_, i) => state.update(machine(`m${i}`, i))));
    expect(revs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(groupCommit(state)).toEqual({ batches: 1, plansInBatches: 10 });
    expect((await state.changesSince(0)).map((c) => [c.rev, c.id])).toEqual(revs.map((rev, i) => [rev, `m${i}`]));
  });

  it('the checkpointer counts a shared transaction as one commit (its frame estimate is per commit)', async () => {
    const committed = vi.spyOn(WalCheckpointer.prototype, 'committed');
    try {
      await Promise.all([state.apply([{ op: 'update', entity: machine('a', 1) }, { op: 'update', entity: machine('b', 1) }]), state.update(machine('c', 1)), state.update(machine('c', 1))]);
      await state.update(machine('d', 1));
      expect(committed.mock.calls).toEqual([[3], [1]]);
    } finally {
      committed.mockRestore();
    }
  });

  it('a plan the database refuses rolls back alone; the rest of its batch commits', async () => {
    poisonTrigger(path, 'ABORT', 'poison refused');
    const before = state.update(machine('a', 1));
    const poison = state.apply([{ op: 'update', entity: machine('b', 1) }, { op: 'update', entity: machine('poison', 1) }]);
    const after = state.update(machine('c', 1));
    await expect(poison).rejects.toThrow('poison refused');
    expect([await before, await after]).toEqual([1, 2]);
    expect((await state.list()).map((e) => e.id)).toEqual(['a', 'c']); // not b: its plan rolled back whole
    expect((await state.changesSince(0)).map((c) => [c.rev, c.id])).toEqual([[1, 'a'], [2, 'c']]);
  });

  it('a plan that makes SQLite roll back the whole transaction takes no other apply with it, and none is written twice', async () => {
    // RAISE(ROLLBACK) stands for what SQLite answers to a full disk or an I/O error: it ends the
    // whole transaction, savepoints and all, so the plans after it must not run on their own.
    poisonTrigger(path, 'ROLLBACK', 'poison rolled back');
    const first = state.update(machine('a', 1));
    const poison = state.update(machine('poison', 1));
    const rest = [state.update(machine('c', 1)), state.update(machine('c', 2))];
    await expect(poison).rejects.toThrow('poison rolled back');
    expect([await first, ...(await Promise.all(rest))]).toEqual([1, 2, 3]);
    expect((await state.changesSince(0)).map((c) => [c.rev, c.id])).toEqual([[1, 'a'], [2, 'c'], [3, 'c']]);
    expect((await state.get({ kind: 'machine', modelUUID: M, id: 'c' }))?.data).toEqual({ n: 2 });
  });

  it("a revision's rows come in log order (model, kind, id), removals and updates mixed", async () => {
    await state.apply([{ op: 'update', entity: machine('1', 0) }]);
    const seen: string[] = [];
    const backing = state.allWatcherBacking();
    backing.watch((c) => seen.push(`${c.rev ?? 0}:${c.id}`));
    await backing.getAll({ update: () => undefined, remove: () => undefined, get: () => undefined });
    await state.apply([{ op: 'update', entity: machine('3', 0) }, { op: 'remove', id: { kind: 'machine', modelUUID: M, id: '1' } }, { op: 'update', entity: machine('2', 0) }]);
    for (let i = 0; i < 20 && seen.length < 3; i++) await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['2:1', '2:2', '2:3']);
    expect((await state.changesSince(1)).map((c) => `${c.rev}:${c.id}`)).toEqual(seen);
  });

  it('takes at most 256 applies a transaction; more issued together go in the next, still in call order', async () => {
    const revs = await Promise.all(Array.from({ length: 600 }, (_, i) => state.update(machine(`m${i}`, i))));
    expect(revs).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
    expect(groupCommit(state)).toEqual({ batches: 3, plansInBatches: 600 });
    const more = Array.from({ length: 300 }, (_, i) => state.update(machine(`n${i}`, i)));
    await state.close(); // writes all 300, across two transactions
    expect((await Promise.all(more)).at(-1)).toBe(900);
  });

  it('close() writes the applies it had accepted', async () => {
    const pending = [state.update(machine('x', 1)), state.update(machine('y', 1))];
    await state.close();
    expect(await Promise.all(pending)).toEqual([1, 2]);
    state = await openState(`sqlite:${path}`, { clock: new ManualClock(1_000) });
    expect((await state.list()).map((e) => e.id)).toEqual(['x', 'y']);
  });
});
