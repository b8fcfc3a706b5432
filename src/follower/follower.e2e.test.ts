// End to end: followers fed by a real MultiwatcherWorker over the in-memory test backing.
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, flushMicrotasks, nullLogger } from '../core/index.js';
import { MultiwatcherWorker, isErrStopped } from '../multiwatcher/index.js';
import { MemoryBacking } from '../multiwatcher/testing/index.js';
import { fromWatcher } from './from-watcher.js';
import { M1, M2, entityId, info, recordingFollower } from './testing/index.js';
import { watchEntities } from './watch-entities.js';
import { watchEntity } from './watch-entity.js';

const workers: MultiwatcherWorker[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) {
    w.kill();
    await w.wait().catch(() => undefined);
  }
});

function start(backing: MemoryBacking): MultiwatcherWorker {
  const w = new MultiwatcherWorker({ clock: new ManualClock(1_000), logger: nullLogger, backing });
  workers.push(w);
  return w;
}

/** Lets the worker and the follower run until `cond` holds (bounded: a test fails, never hangs). */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await flushMicrotasks();
  expect(cond()).toBe(true);
}

const addressed = {
  filter: (e: { data: Record<string, unknown> }) => typeof e.data.address === 'string',
  equals: (a: { data: Record<string, unknown> }, b: { data: Record<string, unknown> }) => a.data.address === b.data.address,
};

describe('follower over a real multiwatcher', () => {
  it('a model watcher feeds a filtered view: backlog synced, filter transitions, suppression, removals', async () => {
    const backing = new MemoryBacking({ initial: [info('unit', 'a/0', { address: '.1' }), info('unit', 'b/0'), info('unit', 'z/0', { address: '.7' }, M2)] });
    const worker = start(backing);
    const rec = recordingFollower(addressed);
    const ac = new AbortController();
    const done = watchEntities(fromWatcher(worker.watchModel(M1)), rec.follower, { signal: ac.signal }).catch((e: unknown) => e);
    await until(() => rec.log.length === 2);
    expect(rec.log).toEqual(['new unit a/0 {"address":".1"}', 'batch synced']);

    backing.update(info('unit', 'b/0', { address: '.2' })); // enters the view
    await until(() => rec.log.length === 4);
    backing.update(info('unit', 'a/0', { address: '.1', status: 'busy' })); // suppressed by equals
    await until(() => rec.log.length === 5);
    backing.update(info('unit', 'z/0', { address: '.8' }, M2)); // another model: invisible
    backing.update(info('unit', 'a/0', { status: 'lost' })); // leaves the view
    await until(() => rec.log.length === 7);
    backing.remove(entityId('unit', 'b/0'));
    await until(() => rec.log.length === 9);
    expect(rec.log.slice(2)).toEqual([
      'new unit b/0 {"address":".2"}',
      'batch synced',
      'batch synced',
      'deleted unit a/0 {"address":".1"}',
      'batch synced',
      'deleted unit b/0 {"address":".2"}', // the last delivered version, not the removal's info
      'batch synced',
    ]);
    expect(worker.report()['num-watchers']).toBe(1);
    ac.abort('done');
    expect(await done).toBe('done');
    expect(worker.report()['num-watchers']).toBe(0); // abort stopped the watcher
  });

  it('watchEntity follows one unit through a model watcher until its removal, then releases it', async () => {
    const backing = new MemoryBacking({ initial: [info('unit', 'other/0')] });
    const worker = start(backing);
    const w = watchEntity(fromWatcher(worker.watchModel(M1)), entityId('unit', 'mysql/0'));
    const first = w.next();
    await flushMicrotasks();
    backing.update(info('unit', 'mysql/0', { v: 1 }));
    expect(await first).toBe(true);
    expect(w.entity()?.data).toEqual({ v: 1 });
    const second = w.next();
    backing.remove(entityId('unit', 'mysql/0'));
    expect(await second).toBe(true);
    expect(w.entity()).toBeUndefined();
    expect(await w.next()).toBe(false);
    expect(w.error()).toBeUndefined();
    await until(() => worker.report()['num-watchers'] === 0);
  });

  it('a backing failure ends the watch with that error; a new watch starts over from the reloaded state', async () => {
    const backing = new MemoryBacking({ initial: [info('unit', 'a/0', { address: '.1' })] });
    const worker = start(backing);
    const rec = recordingFollower(addressed);
    const done = watchEntities(fromWatcher(worker.watchModel(M1)), rec.follower).catch((e: unknown) => e);
    await until(() => rec.log.length === 2);
    const boom = new Error('database went away');
    backing.failNextChanged(boom);
    backing.update(info('unit', 'b/0', { address: '.2' }));
    expect(await done).toBe(boom);

    const again = recordingFollower(addressed);
    const ac = new AbortController();
    const second = watchEntities(fromWatcher(worker.watchModel(M1)), again.follower, { signal: ac.signal }).catch((e: unknown) => e);
    await until(() => again.log.length === 3);
    expect(again.log).toEqual(['new unit a/0 {"address":".1"}', 'new unit b/0 {"address":".2"}', 'batch synced']);
    ac.abort('done');
    await second;
  });

  it('a watcher resumed from an unknown revision resets on its first batch only (resetsOnlyFirstBatch), so later batches are plain', async () => {
    const backing = new MemoryBacking({ initial: [info('unit', 'a/0'), info('unit', 'b/0')] });
    const worker = start(backing);
    const w = worker.watchModel(M1, { since: 1_000_000 });
    expect(w.resetsOnlyFirstBatch).toBe(true);
    const rec = recordingFollower();
    const ac = new AbortController();
    const done = watchEntities(fromWatcher(w), rec.follower, { signal: ac.signal }).catch((e: unknown) => e);
    await until(() => rec.log.length === 3);
    expect(w.wasReset()).toBe(true);
    backing.remove(entityId('unit', 'a/0'));
    await until(() => rec.log.length === 5);
    backing.update(info('unit', 'c/0'));
    await until(() => rec.log.length === 7);
    expect(rec.log).toEqual(['new unit a/0 {}', 'new unit b/0 {}', 'batch synced', 'deleted unit a/0 {}', 'batch synced', 'new unit c/0 {}', 'batch synced']);
    ac.abort('done');
    expect(await done).toBe('done');
  });

  it('killing the worker ends a follower with the stopped error', async () => {
    const worker = start(new MemoryBacking());
    const rec = recordingFollower();
    const done = watchEntities(fromWatcher(worker.watchController()), rec.follower).catch((e: unknown) => e);
    await until(() => rec.log.length === 1);
    worker.kill();
    const err = await done;
    expect(isErrStopped(err)).toBe(true);
    expect((err as Error).message).toBe('shared state watcher was stopped');
  });
});
