import { describe, expect, it } from 'vitest';
import { ManualClock, MemoryLogger, deferred, flushMicrotasks } from '../core/index.js';
import type { Worker } from '../core/index.js';
import { Engine } from '../dependency/index.js';
import { pingBatcherManifold, presencePrunerManifold, presenceStoreOf, presenceWatchersManifold } from './manifolds.js';
import { MemoryPresenceStore } from './memory-store.js';
import { PingBatcher } from './ping-batcher.js';
import { Pinger } from './pinger.js';
import { PruneSchedule } from './prune-schedule.js';
import type { Change } from './store.js';
import { FaultyPresenceStore } from './testing/index.js';
import { PresenceWatchers } from './watcher-factory.js';

const M = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const T0 = 1_800_000_000_000;

/** A stand-in for the State worker: a worker whose output offers presenceStore(). */
function stateWorker(store: MemoryPresenceStore): Worker & { presenceStore(): MemoryPresenceStore } {
  const done = deferred<void>();
  return { kill: () => done.resolve(), wait: () => done.promise, presenceStore: () => store };
}

describe('presence manifolds', () => {
  it('an engine runs one batcher, the watcher factory and the prune schedule from a state input', async () => {
    const clock = new ManualClock(T0);
    const store = new MemoryPresenceStore();
    const engine = new Engine({ clock, logger: new MemoryLogger() });
    const got = deferred<{ batcher: PingBatcher; watchers: PresenceWatchers }>();
    const base = { storeName: 'state', clock };
    engine.installAll({
      state: { inputs: [], start: () => Promise.resolve(stateWorker(store)) },
      'presence-batcher': pingBatcherManifold(base),
      'presence-watchers': presenceWatchersManifold(base),
      'presence-pruner': presencePrunerManifold({ ...base, models: () => [M] }),
      probe: {
        inputs: ['presence-batcher', 'presence-watchers'],
        start: (ctx) => {
          got.resolve({ batcher: ctx.getResource<PingBatcher>('presence-batcher'), watchers: ctx.getResource<PresenceWatchers>('presence-watchers') });
          return Promise.resolve(stateWorker(store));
        },
      },
    });
    await clock.advanceAsync(0);
    const { batcher, watchers } = await got.promise;
    expect(batcher).toBeInstanceOf(PingBatcher);
    const seen: Change[] = [];
    watchers.watch(M, 'm#0', (c) => seen.push(c));
    const pinger = new Pinger({ store, modelUUID: M, key: 'm#0', clock, recorder: () => batcher });
    await pinger.start();
    const synced = batcher.sync();
    await clock.advanceAsync(10);
    await synced;
    await watchers.watcher(M).sync();
    expect(seen.map((c) => c.alive)).toEqual([false, true]);
    expect(engine.report()).toMatchObject({ state: 'started' });
    await pinger.stop();
    engine.kill();
    await engine.wait();
  });

  it('presenceStoreOf takes a store or a presenceStore() owner, and refuses anything else', () => {
    const store = new MemoryPresenceStore();
    expect(presenceStoreOf(store)).toBe(store);
    expect(presenceStoreOf(stateWorker(store))).toBe(store);
    expect(() => presenceStoreOf({})).toThrow(/neither a PresenceStore/);
  });
});

describe('PresenceWatchers', () => {
  it('replaces a dead watcher after 1 s and moves its listeners to the replacement', async () => {
    const clock = new ManualClock(T0);
    const store = new FaultyPresenceStore(new MemoryPresenceStore());
    const logger = new MemoryLogger();
    const watchers = new PresenceWatchers({ store, clock, logger, random: () => 0.99 }); // no prune: it would take the injected read failure
    const seen: Change[] = [];
    watchers.watch(M, 'm#0', (c) => seen.push(c));
    const first = watchers.watcher(M);
    await first.sync();
    store.fail('readPings', new Error('connection reset'));
    first.startSync();
    await first.dead;
    await clock.advanceAsync(999);
    expect(watchers.watcher(M)).toBe(first);
    await clock.advanceAsync(1);
    const second = watchers.watcher(M);
    expect(second).not.toBe(first);
    await second.sync();
    expect(seen.map((c) => c.alive)).toEqual([false, false]); // the replacement's initial event
    expect(watchers.report()).toMatchObject({ 'num-watchers': 1, models: { [M]: { 'restart-count': 1 } } });
    expect(logger.at('warn')[0]?.msg).toBe('presence watcher died; restarting');
    watchers.kill();
    await watchers.wait();
    expect(second.err()).toBeNull();
    await expect(watchers.alive(M, 'm#0')).rejects.toThrow('cannot check liveness: watcher is dying');
  });

  it('an unwatch returned by watch stops delivery; release stops the model\'s watcher', async () => {
    const clock = new ManualClock(T0);
    const watchers = new PresenceWatchers({ store: new MemoryPresenceStore(), clock, random: () => 0.99 });
    const seen: Change[] = [];
    const off = watchers.watch(M, 'm#0', (c) => seen.push(c));
    off();
    await watchers.watcher(M).sync();
    expect(seen).toEqual([]);
    const w = watchers.watcher(M);
    await watchers.release(M);
    expect(w.err()).toBeNull();
    expect(() => watchers.watch('bad', 'm#0', () => undefined)).toThrow(/not valid/);
    watchers.kill();
    await watchers.wait();
  });

  it('a bad skewTolerance fails at construction, not when the first model is watched', () => {
    const clock = new ManualClock(T0);
    const store = new MemoryPresenceStore();
    for (const skewTolerance of [-1, Number.NaN, 3_600_001]) {
      expect(() => new PresenceWatchers({ store, clock, skewTolerance })).toThrow(
        expect.objectContaining({ code: 'NotValid', message: `skewTolerance ${skewTolerance} not valid: must be 0 to 3600000 ms` }),
      );
    }
    expect(() => new PresenceWatchers({ store, clock, skewTolerance: 3_600_000 })).not.toThrow();
  });
});

describe('PruneSchedule', () => {
  it('prunes every model about every interval; errors are logged and the schedule goes on', async () => {
    const clock = new ManualClock(T0);
    const store = new FaultyPresenceStore(new MemoryPresenceStore());
    const logger = new MemoryLogger();
    const other = '6ba7b810-9dad-41d1-80b4-00c04fd430c8';
    const schedule = new PruneSchedule({ store, clock, logger, models: () => [M, other], interval: 60_000, random: () => 0.5 });
    store.fail('deletePingsBefore', new Error('busy'));
    await clock.advanceAsync(60_000);
    expect(store.count('deletePingsBefore')).toBe(2);
    expect(logger.at('error')).toHaveLength(1);
    await clock.advanceAsync(60_000);
    expect(store.count('deletePingsBefore')).toBe(4);
    expect(schedule.report()).toMatchObject({ runs: 2, errors: 1 });
    schedule.kill();
    await schedule.wait();
    await clock.advanceAsync(600_000);
    await flushMicrotasks();
    expect(store.count('deletePingsBefore')).toBe(4);
  });
  it('a bad skewTolerance fails at construction, not as a prune error logged on every run', () => {
    const clock = new ManualClock(T0);
    const store = new MemoryPresenceStore();
    expect(() => new PruneSchedule({ store, clock, models: () => [M], skewTolerance: -1 })).toThrow(
      expect.objectContaining({ code: 'NotValid', message: 'skewTolerance -1 not valid: must be 0 to 3600000 ms' }),
    );
    expect(clock.pendingTimers()).toBe(0); // nothing armed by the refused schedule
  });
});
