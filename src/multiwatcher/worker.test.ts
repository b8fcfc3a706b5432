import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { EntityInfo } from '../core/index.js';
import { ManualClock, MemoryLogger, flushMicrotasks, nullLogger } from '../core/index.js';
import type { MultiwatcherConfig } from './config.js';
import { isErrStopped } from './errors.js';
import { MemoryBacking, MODEL_1 as M1, MODEL_2 as M2, settle, shortDeltas as short, unitInfo as unit } from './testing/index.js';
import { MultiwatcherWorker } from './worker.js';
import { state, workerStarter } from './testdata/workers.js';

const start = workerStarter();

describe('MultiwatcherWorker configuration', () => {
  it('checks Clock, Logger and Backing in that order with the exact messages', () => {
    const backing = new MemoryBacking();
    const clock = new ManualClock();
    const make = (c: Partial<MultiwatcherConfig>) => () => new MultiwatcherWorker(c as MultiwatcherConfig);
    expect(make({})).toThrow('missing Clock not valid');
    expect(make({ logger: nullLogger, backing })).toThrow('missing Clock not valid');
    expect(make({ clock, backing })).toThrow('missing Logger not valid');
    expect(make({ clock, logger: nullLogger })).toThrow('missing Backing not valid');
    expect(make({ clock, logger: nullLogger })).toThrow(expect.objectContaining({ code: 'NotValid', name: 'NotValidError' }));
    expect(make({ clock, logger: nullLogger, backing, retainRevisions: -1 })).toThrow(expect.objectContaining({ code: 'NotValid' }));
    expect(backing.calls.watch).toBe(0);
  });

  it('rejects a malformed model UUID, negative or fractional since, and bad filters with NotValid', () => {
    const w = start(new MemoryBacking());
    for (const bad of ['', 'not-a-uuid', 'AAAAAAAA-1111-4111-8111-111111111111']) expect(() => w.watchModel(bad)).toThrow(expect.objectContaining({ code: 'NotValid' }));
    expect(() => w.watchModel(M1, { since: -1 })).toThrow(expect.objectContaining({ code: 'NotValid' }));
    expect(() => w.watchController({ since: 1.5 })).toThrow(expect.objectContaining({ code: 'NotValid' }));
    expect(() => w.watchController({ filter: 3 } as never)).toThrow(expect.objectContaining({ code: 'NotValid' }));
    expect(w.report()['num-watchers']).toBe(0);
  });
});

describe('MultiwatcherWorker watchers', () => {
  it('first next() is the full state at once; later calls wait for a delta', async () => {
    const backing = new MemoryBacking({ initial: [unit('a/0'), unit('b/0', {}, M2)] });
    const w = start(backing);
    const ctl = w.watchController();
    expect(short(await ctl.next())).toEqual(['+a/0', '+b/0']);
    const later = ctl.next();
    expect(await state(later)).toBe('pending');
    backing.update(unit('a/0', { v: 1 }));
    expect(await later).toEqual([{ removed: false, entity: unit('a/0', { v: 1 }) }]);
  });

  it('fix 3: a model watcher of an empty model gets [] at once', async () => {
    const backing = new MemoryBacking({ initial: [unit('b/0', {}, M2)] });
    const w = start(backing);
    expect(await w.watchModel(M1).next()).toEqual([]);
  });

  it('a model watcher sees only its model and survives its model\u2019s removal', async () => {
    const model: EntityInfo = { kind: 'model', modelUUID: M1, id: M1, data: { name: 'one' } };
    const backing = new MemoryBacking({ initial: [model, unit('a/0')] });
    const w = start(backing);
    const mw = w.watchModel(M1);
    expect(short(await mw.next())).toEqual([M1, 'a/0'].map((i) => `+${i}`));
    backing.update(unit('x/0', {}, M2));
    backing.commit((tx) => {
      tx.remove(unit('a/0'));
      tx.remove(model);
    });
    expect(short(await mw.next())).toEqual(['-a/0', `-${M1}`]);
    backing.update(unit('c/0'));
    expect(short(await mw.next())).toEqual(['+c/0']);
  });

  it('fix 1 end to end: an entity removed and re-added with identical data is a single change delta', async () => {
    const backing = new MemoryBacking({ initial: [unit('a/0', { v: 1 })] });
    const w = start(backing);
    const mw = w.watchModel(M1);
    await mw.next();
    backing.remove(unit('a/0'));
    await settle(w); // the store now holds a tombstone for the watcher
    backing.update(unit('x/0'));
    backing.update(unit('a/0', { v: 1 }));
    await settle(w);
    expect(short(await mw.next())).toEqual(['+x/0', '+a/0']);
  });

  it('fix 4: num-watchers counts live watchers and drops on stop', async () => {
    const w = start(new MemoryBacking());
    const a = w.watchModel(M1);
    const b = w.watchController();
    expect(w.report()['num-watchers']).toBe(2);
    await a.stop();
    await a.stop();
    expect(w.report()['num-watchers']).toBe(1);
    await b[Symbol.asyncDispose]();
    expect(w.report()['num-watchers']).toBe(0);
  });

  it('serves calls on one watcher one at a time in call order', async () => {
    const backing = new MemoryBacking({ initial: [unit('a/0')] });
    const w = start(backing);
    const mw = w.watchModel(M1);
    const first = mw.next();
    const second = mw.next();
    expect(short(await first)).toEqual(['+a/0']);
    expect(await state(second)).toBe('pending');
    backing.update(unit('b/0'));
    expect(short(await second)).toEqual(['+b/0']);
  });

  it('hands out copies: mutating a delta changes nothing for other watchers', async () => {
    const backing = new MemoryBacking({ initial: [unit('a/0', { v: 1 })] });
    const w = start(backing);
    const [one] = await w.watchModel(M1).next();
    one!.entity.data.v = 99;
    expect((await w.watchModel(M1).next())[0]?.entity.data).toEqual({ v: 1 });
  });

  it('a batch filtered to nothing keeps next() waiting', async () => {
    const backing = new MemoryBacking();
    const w = start(backing);
    const mw = w.watchModel(M1, { filter: (d) => d.entity.kind !== 'secret' });
    expect(await mw.next()).toEqual([]);
    const p = mw.next();
    backing.update({ kind: 'secret', modelUUID: M1, id: 's', data: {} });
    await settle(w);
    expect(await state(p)).toBe('pending');
    backing.update(unit('a/0'));
    expect(short(await p)).toEqual(['+a/0']);
  });

  it('a change wakes only the watchers that can see it (fix 5)', async () => {
    const backing = new MemoryBacking();
    const w = start(backing);
    const calls = { m1: 0, m2: 0, ctl: 0 };
    const m1 = w.watchModel(M1, { filter: () => ++calls.m1 > 0 });
    const m2 = w.watchModel(M2, { filter: () => ++calls.m2 > 0 });
    const ctl = w.watchController({ filter: () => ++calls.ctl > 0 });
    for (const x of [m1, m2, ctl]) await x.next();
    const pending = [m1.next(), m2.next(), ctl.next()];
    backing.update(unit('a/0', {}, M1));
    await settle(w);
    expect(calls).toEqual({ m1: 1, m2: 0, ctl: 1 });
    expect(await state(pending[1]!)).toBe('pending');
  });

  it('changes made during the initial load are queued and applied', async () => {
    const backing = new MemoryBacking({ initial: [unit('a/0')] });
    const hold = backing.hold();
    const w = start(backing);
    const mw = w.watchModel(M1);
    const first = mw.next();
    await flushMicrotasks();
    backing.update(unit('b/0'));
    backing.remove(unit('a/0'));
    expect(w.report()['queue-size']).toBe(2);
    expect(await state(first)).toBe('pending');
    hold();
    expect(short(await first)).toEqual(['+b/0']); // getAll read the state after both writes
    await settle(w);
    expect(w.report()).toMatchObject({ 'queue-size': 0, 'store-size': 1 });
  });

  it('for await yields batches, ends quietly on stop, and break stops the watcher', async () => {
    const backing = new MemoryBacking({ initial: [unit('a/0')] });
    const w = start(backing);
    const mw = w.watchModel(M1);
    const seen: string[][] = [];
    for await (const batch of mw) {
      seen.push(short(batch));
      if (seen.length === 1) backing.update(unit('b/0'));
      else break;
    }
    expect(seen).toEqual([['+a/0'], ['+b/0']]);
    expect(w.report()['num-watchers']).toBe(0);
    const other = w.watchModel(M1);
    const loop = (async () => {
      let n = 0;
      for await (const _ of other) n++;
      return n;
    })();
    await settle(w);
    await other.stop();
    expect(await loop).toBe(1);
  });

  it('an aborted signal stops the watcher', async () => {
    const w = start(new MemoryBacking());
    const ac = new AbortController();
    const mw = w.watchModel(M1, { signal: ac.signal });
    await mw.next();
    const pending = mw.next().catch((e: unknown) => e);
    ac.abort();
    expect(await pending).toMatchObject({ message: 'watcher was stopped' });
    expect(w.report()['num-watchers']).toBe(0);
    const already = w.watchController({ signal: ac.signal });
    expect(await already.next().catch((e: unknown) => e)).toMatchObject({ message: 'watcher was stopped' });
    expect(() => w.watchController({ signal: {} as AbortSignal })).toThrow(expect.objectContaining({ code: 'NotValid' }));
  });

  it('use after stop: next() rejects with the typed "watcher was stopped"', async () => {
    const w = start(new MemoryBacking());
    const mw = w.watchModel(M1);
    await mw.stop();
    const err: unknown = await mw.next().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'Stopped', message: 'watcher was stopped' });
    expect(isErrStopped(err)).toBe(true);
  });

  it('report() has exactly the spec keys; errors only when non-empty', () => {
    const w = start(new MemoryBacking());
    expect(Object.keys(w.report()).sort()).toEqual(['num-watchers', 'queue-age', 'queue-size', 'restart-count', 'store-size']);
  });

  it('exports the metrics with exact names and help texts, and unregisters them on stop', async () => {
    const registry = new Registry();
    const backing = new MemoryBacking();
    const w = start(backing, { registry });
    w.watchModel(M1);
    backing.update(unit('a/0'));
    await settle(w);
    const json = await registry.getMetricsAsJSON();
    const byName = new Map(json.map((m) => [m.name, m]));
    expect(Object.fromEntries([...byName].map(([n, m]) => [n, `${m.type} ${m.help}`]))).toEqual({
      modelwatch_multiwatcher_watcher_count: 'gauge The number of multiwatcher type watchers there are.',
      modelwatch_multiwatcher_restart_count: 'gauge The number of times the all watcher has been restarted.',
      modelwatch_multiwatcher_store_size: 'gauge The number of entities in the store.',
      modelwatch_multiwatcher_queue_size: 'gauge The number of entries in the queue to process.',
      modelwatch_multiwatcher_queue_age: 'gauge The age in seconds of the oldest queue entry.',
      modelwatch_multiwatcher_append: 'summary Time to append a queue entry in ms.',
      modelwatch_multiwatcher_dupe: 'counter Count of duplicate watcher notifications already in queue.',
      modelwatch_multiwatcher_process: 'summary Time to process a queue entry in ms.',
    });
    expect(byName.get('modelwatch_multiwatcher_watcher_count')?.values[0]?.value).toBe(1);
    expect(byName.get('modelwatch_multiwatcher_store_size')?.values[0]?.value).toBe(1);
    w.kill();
    await w.wait();
    expect(await registry.getMetricsAsJSON()).toEqual([]);
  });

  it('de-duplicates queued changes per entity, keeping place and arrival time; queue-age from the clock', async () => {
    const clock = new ManualClock(5_000);
    const registry = new Registry();
    const backing = new MemoryBacking();
    const w = start(backing, { clock, registry });
    await settle(w);
    const hold = backing.hold();
    backing.update(unit('a/0', { v: 1 }));
    await flushMicrotasks(); // a/0 is now in flight
    backing.update(unit('b/0'));
    clock.advance(1_500);
    backing.update(unit('c/0'));
    backing.update(unit('b/0', { v: 2 }));
    expect(w.report()).toMatchObject({ 'queue-size': 2, 'queue-age': 1.5 });
    const dupe = (await registry.getSingleMetric('modelwatch_multiwatcher_dupe')?.get())?.values[0]?.value;
    expect(dupe).toBe(1);
    hold();
    await settle(w);
    expect(w.report()).toMatchObject({ 'queue-size': 0, 'queue-age': 0, 'store-size': 3 });
  });

  it('ingest never waits on processing: the listener returns while a backing call is held', async () => {
    const backing = new MemoryBacking();
    const w = start(backing);
    await settle(w);
    const hold = backing.hold();
    for (let i = 0; i < 100; i++) backing.update(unit(`u/${i}`));
    const queued = w.report()['queue-size'];
    hold();
    expect(queued).toBeGreaterThanOrEqual(99); // the first may already be in flight
    await settle(w);
    expect(w.report()['store-size']).toBe(100);
  });

  it('answers only between backing calls', async () => {
    const backing = new MemoryBacking({ initial: [unit('a/0')] });
    const w = start(backing);
    await settle(w);
    const hold = backing.hold();
    backing.update(unit('b/0'));
    await flushMicrotasks();
    const first = w.watchModel(M1).next();
    expect(await state(first)).toBe('pending');
    hold();
    expect(short(await first)).toEqual(['+a/0', '+b/0']);
  });

  it('logs through the given logger', async () => {
    const logger = new MemoryLogger();
    const backing = new MemoryBacking();
    backing.failNextGetAll(new Error('boom'));
    const w = start(backing, { logger });
    await settle(w);
    expect(logger.at('error').length).toBe(1);
  });
});

describe('answering under load', () => {
  it('commits queued together reach a waiting watcher as one batch, not one answer per change', async () => {
    const backing = new MemoryBacking();
    const w = start(backing);
    const watcher = w.watchModel(M1);
    expect(await watcher.next()).toEqual([]);
    const pending = watcher.next();
    for (const id of ['a/0', 'a/1', 'a/2']) backing.update(unit(id)); // three commits before the loop runs
    await settle(w);
    expect(short(await pending)).toEqual(['+a/0', '+a/1', '+a/2']);
    const idle = watcher.next();
    backing.update(unit('a/3')); // one at a time: answered as soon as it is applied
    await settle(w);
    expect(short(await idle)).toEqual(['+a/3']);
  });

  it('a slice that ends inside a commit answers only at the commit boundary', async () => {
    const backing = new MemoryBacking({ revisions: true });
    const w = start(backing);
    const watcher = w.watchModel(M1);
    expect(await watcher.next()).toEqual([]);
    const pending = watcher.next();
    backing.commit((tx) => {
      for (let i = 0; i < 100; i++) tx.update(unit(`b/${i}`)); // more than one slice (64 changes)
    });
    await settle(w);
    expect((await pending).length).toBe(100);
  });
});
