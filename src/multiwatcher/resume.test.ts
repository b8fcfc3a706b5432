// Revisions, resume and reset (spec §4.7): positions are database revisions with a database backing,
// store tokens without one; resuming inside the window gives only the deltas since.
import { describe, expect, it } from 'vitest';
import { flushMicrotasks, seededRandom } from '../core/index.js';
import { DeltaView, MemoryBacking, MODEL_1 as M1, MODEL_2 as M2, settle, shortDeltas as short, unitInfo as unit } from './testing/index.js';
import { workerStarter } from './testdata/workers.js';
import type { MultiwatcherWorker } from './worker.js';

const start = workerStarter({ retainRevisions: 100 });

/** Watches MODEL_1 on `w`, takes the first batch, stops, and gives the position to resume from. */
async function positionAfterFirstBatch(w: MultiwatcherWorker): Promise<number> {
  const first = w.watchModel(M1);
  await first.next();
  const since = first.revision();
  await first.stop();
  return since;
}

describe('revisions', () => {
  it('a batch carries the database revision it is complete up to', async () => {
    const backing = new MemoryBacking({ initial: [unit('a/0')] });
    backing.update(unit('b/0'));
    const w = start(backing);
    const mw = w.watchModel(M1);
    expect(mw.revision()).toBe(0);
    await mw.next();
    expect(mw.revision()).toBe(2);
    backing.update(unit('x/0', {}, M2));
    backing.update(unit('c/0'));
    await mw.next();
    expect(mw.revision()).toBe(4);
    expect(mw.wasReset()).toBe(false);
  });

  it('a batch never splits a commit', async () => {
    const backing = new MemoryBacking();
    const w = start(backing);
    const mw = w.watchModel(M1);
    await mw.next();
    const p = mw.next();
    backing.commit((tx) => {
      tx.update(unit('a/0'));
      tx.update(unit('b/0'));
      tx.update(unit('c/0'));
    });
    expect(short(await p)).toEqual(['+a/0', '+b/0', '+c/0']);
    expect(mw.revision()).toBe(1);
  });
});

describe('resume', () => {
  it('resumes inside the window with only the deltas since, removals included', async () => {
    const backing = new MemoryBacking({ initial: [unit('a/0'), unit('b/0'), unit('c/0')] });
    const w = start(backing);
    const first = w.watchModel(M1);
    const view = new DeltaView();
    view.apply(await first.next());
    const since = first.revision();
    await first.stop();
    backing.update(unit('a/0', { v: 2 }));
    backing.remove(unit('b/0'));
    backing.update(unit('d/0'));
    backing.remove(unit('d/0')); // created and removed while away: never reported
    await settle(w);
    const resumed = w.watchModel(M1, { since });
    const batch = await resumed.next();
    expect(short(batch)).toEqual(['+a/0', '-b/0']);
    expect(resumed.wasReset()).toBe(false);
    view.apply(batch);
    expect(view.list()).toEqual([unit('a/0', { v: 2 }), unit('c/0')]);
    expect(resumed.revision()).toBe(backing.revision);
  });

  it('resume with nothing changed resolves at once with []', async () => {
    const backing = new MemoryBacking({ initial: [unit('a/0')] });
    const w = start(backing);
    const a = w.watchController();
    await a.next();
    const b = w.watchController({ since: a.revision() });
    expect(await b.next()).toEqual([]);
    expect(b.wasReset()).toBe(false);
  });

  it('resume outside the window yields a full snapshot flagged as a reset', async () => {
    const backing = new MemoryBacking({ initial: [unit('a/0'), unit('b/0')] });
    const w = start(backing, { retainRevisions: 0 });
    const since = await positionAfterFirstBatch(w);
    backing.remove(unit('b/0')); // unheld now: deleted, the floor passes `since`
    backing.update(unit('c/0'));
    await settle(w);
    const resumed = w.watchModel(M1, { since });
    expect(short(await resumed.next())).toEqual(['+a/0', '+c/0']);
    expect(resumed.wasReset()).toBe(true);
  });

  it('a revision from the future, or older than the snapshot, yields a reset', async () => {
    const backing = new MemoryBacking({ initial: [unit('a/0')] });
    backing.update(unit('b/0'));
    backing.update(unit('c/0'));
    const w = start(backing);
    await settle(w);
    for (const since of [backing.revision + 1, 2]) {
      const mw = w.watchModel(M1, { since });
      expect(short(await mw.next())).toEqual(['+a/0', '+b/0', '+c/0']);
      expect(mw.wasReset()).toBe(true);
    }
  });

  it('a resumed watcher holds what was live at its revision: its removals are kept until it hears of them', async () => {
    const backing = new MemoryBacking({ initial: [unit('a/0')] });
    const w = start(backing, { retainRevisions: 1 });
    const since = await positionAfterFirstBatch(w);
    const resumed = w.watchModel(M1, { since }); // bound at once: pins a/0 from here on
    backing.remove(unit('a/0'));
    for (let i = 0; i < 10; i++) backing.update(unit('filler/0', { i }));
    await settle(w);
    expect(short(await resumed.next())).toEqual(['-a/0', '+filler/0']);
    await settle(w);
    expect(w.report()['store-size']).toBe(1);
  });

  it('resumes on another controller sharing the database (same revisions)', async () => {
    const backing = new MemoryBacking({ initial: [unit('a/0'), unit('b/0')] });
    const controllerA = start(backing);
    const controllerB = start(backing);
    const since = await positionAfterFirstBatch(controllerA);
    backing.remove(unit('a/0'));
    backing.update(unit('b/0', { v: 1 }));
    await settle(controllerB);
    await settle(controllerA);
    const onB = controllerB.watchModel(M1, { since });
    expect(short(await onB.next())).toEqual(['-a/0', '+b/0']);
    expect(onB.wasReset()).toBe(false);
  });

  it('a watcher created during the load resumes once the snapshot is in', async () => {
    const backing = new MemoryBacking({ initial: [unit('a/0')] });
    const w0 = start(backing);
    const mw0 = w0.watchModel(M1);
    await mw0.next();
    const since = mw0.revision();
    const hold = backing.hold();
    const w = start(backing);
    const mw = w.watchModel(M1, { since });
    const p = mw.next();
    await flushMicrotasks();
    hold();
    expect(await p).toEqual([]);
    expect(mw.wasReset()).toBe(false);
  });

  it('survives a restart: the new snapshot revision resumes, older ones reset', async () => {
    const backing = new MemoryBacking({ initial: [unit('a/0')] });
    const w = start(backing);
    const old = w.watchModel(M1);
    await old.next();
    const oldRev = old.revision();
    backing.update(unit('b/0'));
    await settle(w);
    backing.failNextChanged(new Error('glitch'));
    backing.update(unit('c/0'));
    await settle(w);
    expect(w.report()['restart-count']).toBe(1);
    const atSnapshot = w.watchModel(M1, { since: backing.revision });
    expect(await atSnapshot.next()).toEqual([]);
    const older = w.watchModel(M1, { since: oldRev });
    expect(short(await older.next())).toEqual(['+a/0', '+b/0', '+c/0']);
    expect(older.wasReset()).toBe(true);
  });
});

describe('resume without database revisions', () => {
  it('tokens resume against the same store only', async () => {
    const backing = new MemoryBacking({ revisions: false, initial: [unit('a/0')] });
    const w = start(backing, { random: seededRandom(7) });
    const token = await positionAfterFirstBatch(w);
    expect(token).toBeGreaterThan(2 ** 33);
    expect(Number.isSafeInteger(token)).toBe(true);
    backing.update(unit('b/0'));
    await settle(w);
    const resumed = w.watchModel(M1, { since: token });
    expect(short(await resumed.next())).toEqual(['+b/0']);
    const other = start(backing, { random: seededRandom(8) });
    const elsewhere = other.watchModel(M1, { since: token });
    expect(short(await elsewhere.next())).toEqual(['+a/0', '+b/0']);
    expect(elsewhere.wasReset()).toBe(true);
  });
});
