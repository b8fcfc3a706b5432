// Hazards of the worker: stops during blocked calls, stalled consumers, backing failures mid-stream,
// kill with calls pending, death of the worker.
import { Registry, Gauge } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ManualClock, flushMicrotasks } from '../core/index.js';
import { isErrStopped } from './errors.js';
import { MemoryBacking, MODEL_1 as M1, MODEL_2 as M2, settle, shortDeltas as short, unitInfo as unit } from './testing/index.js';
import { state, workerStarter } from './testdata/workers.js';

const start = workerStarter();

function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
}

describe('multiwatcher hazards', () => {
  it('stopped watcher during a blocked next: the pending call and later ones reject "watcher was stopped"', async () => {
    const backing = new MemoryBacking();
    const w = start(backing);
    const mw = w.watchModel(M1);
    await mw.next();
    const blocked = rejection(mw.next());
    const queued = rejection(mw.next());
    await mw.stop();
    for (const err of [await blocked, await queued, await rejection(mw.next())]) {
      expect(err).toMatchObject({ message: 'watcher was stopped', code: 'Stopped' });
      expect(isErrStopped(err)).toBe(true);
    }
    backing.update(unit('a/0'));
    await settle(w);
    expect(w.report()).toMatchObject({ 'num-watchers': 0, 'store-size': 1 });
  });

  it('stalled watcher does not delay others and costs one delta per entity, not per change', async () => {
    const backing = new MemoryBacking({ initial: [unit('a/0'), unit('b/0')] });
    const w = start(backing);
    const stalled = w.watchModel(M1);
    await stalled.next(); // then never asks again
    const live = w.watchModel(M1);
    await live.next();
    for (let i = 0; i < 500; i++) {
      const p = live.next();
      backing.update(unit(i % 2 === 0 ? 'a/0' : 'b/0', { i }));
      expect((await p).length).toBe(1);
    }
    expect(w.report()['store-size']).toBe(2);
    expect(await stalled.next()).toEqual([
      { removed: false, entity: unit('a/0', { i: 498 }) },
      { removed: false, entity: unit('b/0', { i: 499 }) },
    ]);
  });

  it('a stalled watcher pins at most one tombstone per entity it holds', async () => {
    const backing = new MemoryBacking();
    const w = start(backing);
    const stalled = w.watchModel(M1);
    for (let i = 0; i < 50; i++) backing.update(unit(`u/${i}`));
    await settle(w);
    await stalled.next();
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 50; i++) backing.remove(unit(`u/${i}`));
      for (let i = 0; i < 50; i++) backing.update(unit(`u/${i}`, { round }));
      for (let i = 0; i < 50; i++) backing.remove(unit(`u/${i}`));
      await settle(w);
    }
    expect(w.report()['store-size']).toBe(50);
    expect((await stalled.next()).every((d) => d.removed)).toBe(true);
    await settle(w);
    expect(w.report()['store-size']).toBe(0);
  });

  it('backing error mid-stream: each watcher gets the error once, then "watcher was stopped"; the worker restarts', async () => {
    const backing = new MemoryBacking({ initial: [unit('a/0'), unit('x/0', {}, M2)] });
    const w = start(backing);
    const waiting = w.watchModel(M1);
    const idle = w.watchController();
    await waiting.next();
    await idle.next();
    const pending = rejection(waiting.next());
    const boom = new Error('backing exploded');
    backing.failNextChanged(boom);
    backing.update(unit('b/0'));
    expect(await pending).toBe(boom);
    expect(isErrStopped(boom)).toBe(false);
    expect(await rejection(idle.next())).toBe(boom);
    for (const x of [waiting, idle]) expect(await rejection(x.next())).toMatchObject({ message: 'watcher was stopped' });
    await settle(w);
    expect(w.report()).toMatchObject({ 'restart-count': 1, errors: ['backing exploded'], 'num-watchers': 0 });
    expect(backing.calls).toMatchObject({ getAll: 2, watch: 2, unwatch: 1 });
    expect(backing.listenerCount).toBe(1);
    expect(short(await w.watchModel(M1).next())).toEqual(['+a/0', '+b/0']); // the reloaded state
    await waiting.stop();
  });

  it('getAll failure restarts too; watchers created during the restart see the reloaded state', async () => {
    const backing = new MemoryBacking({ initial: [unit('a/0')] });
    backing.failNextGetAll(new Error('load 1'));
    backing.failNextGetAll(new Error('load 2'));
    const w = start(backing);
    const early = w.watchModel(M1);
    expect(await rejection(early.next())).toMatchObject({ message: 'load 1' });
    const during = w.watchModel(M1);
    expect(await rejection(during.next())).toMatchObject({ message: 'load 2' });
    const after = w.watchModel(M1);
    expect(short(await after.next())).toEqual(['+a/0']);
    expect(w.report()).toMatchObject({ 'restart-count': 2, errors: ['load 1', 'load 2'] });
  });

  it('keeps only the last five restart errors, oldest first', async () => {
    const backing = new MemoryBacking();
    for (let i = 1; i <= 7; i++) backing.failNextGetAll(new Error(`e${i}`));
    const w = start(backing);
    for (let i = 0; i < 100 && w.report()['restart-count'] !== 7; i++) await flushMicrotasks();
    expect(w.report()).toMatchObject({ 'restart-count': 7, errors: ['e3', 'e4', 'e5', 'e6', 'e7'] });
  });

  it('waits restartDelayMs on the clock before reloading, and kill cuts the delay short', async () => {
    const clock = new ManualClock();
    const backing = new MemoryBacking();
    backing.failNextGetAll(new Error('down'));
    const w = start(backing, { clock, restartDelayMs: 5_000 });
    await settle(w);
    expect(backing.calls.getAll).toBe(1);
    clock.advance(5_000);
    await settle(w);
    expect(backing.calls.getAll).toBe(2);
    backing.failNextGetAll(new Error('down again'));
    backing.failNextChanged(new Error('x'));
    backing.update(unit('a/0'));
    await settle(w);
    w.kill();
    await w.wait();
  });

  it('worker killed with pending nexts: they reject at once; wait() resolves after the in-flight call settles', async () => {
    const backing = new MemoryBacking();
    let cleaned = 0;
    const w = start(backing, { cleanup: () => cleaned++ });
    const a = w.watchModel(M1);
    const b = w.watchController();
    await a.next();
    await b.next();
    const hold = backing.hold();
    backing.update(unit('a/0'));
    await flushMicrotasks(); // the change is in flight
    const pa = rejection(a.next());
    const pb = rejection(b.next());
    w.kill();
    w.kill();
    for (const err of [await pa, await pb, await rejection(a.next())]) {
      expect(err).toMatchObject({ message: 'shared state watcher was stopped', code: 'Stopped' });
      expect(isErrStopped(err)).toBe(true);
    }
    let done = false;
    void w.wait().then(() => (done = true));
    await settle(w);
    expect(done).toBe(false);
    expect(backing.calls.release).toBe(0);
    hold();
    await w.wait();
    expect({ release: backing.calls.release, cleaned, listeners: backing.listenerCount }).toEqual({ release: 1, cleaned: 1, listeners: 0 });
    await a.stop();
    expect(await rejection(w.watchModel(M1).next())).toMatchObject({ message: 'shared state watcher was stopped' });
    backing.update(unit('late/0')); // after kill: ignored, nothing throws
  });

  it('worker death: a taken metric name kills the worker; watchers and wait() get that error', async () => {
    const registry = new Registry();
    registry.registerMetric(new Gauge({ name: 'modelwatch_multiwatcher_queue_size', help: 'taken', registers: [] }));
    const backing = new MemoryBacking();
    const w = start(backing, { registry });
    const mw = w.watchModel(M1);
    const err = await rejection(w.wait());
    expect(err).toBeInstanceOf(Error);
    expect(await rejection(mw.next())).toBe(err);
    expect(await rejection(w.watchController().next())).toBe(err);
    await mw.stop();
    expect(isErrStopped(err)).toBe(false);
    expect((await registry.getMetricsAsJSON()).map((m) => m.name)).toEqual(['modelwatch_multiwatcher_queue_size']);
  });

  it('isErrStopped recognises the texts after they crossed a process boundary, and nothing else', () => {
    expect(isErrStopped(new Error('watcher was stopped'))).toBe(true);
    expect(isErrStopped(new Error('shared state watcher was stopped'))).toBe(true);
    expect(isErrStopped(new Error('watcher was stopped!'))).toBe(false);
    expect(isErrStopped('watcher was stopped')).toBe(false);
    expect(isErrStopped(undefined)).toBe(false);
  });

  it('a throwing filter fails only its own watcher', async () => {
    const backing = new MemoryBacking({ initial: [unit('a/0')] });
    const w = start(backing);
    const bad = w.watchModel(M1, {
      filter: () => {
        throw new Error('filter broke');
      },
    });
    const good = w.watchModel(M1);
    expect(await rejection(bad.next())).toMatchObject({ message: 'filter broke' });
    expect(short(await good.next())).toEqual(['+a/0']);
    expect(w.report()['num-watchers']).toBe(1);
    expect(await state(good.next())).toBe('pending');
  });
});
