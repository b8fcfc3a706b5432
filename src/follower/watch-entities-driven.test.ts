// watchEntities over a fromWatcher source drives the watcher itself (no iterator steps) and takes
// one-change batches without building an event: the same callbacks and outcomes as the iterator
// path, which the other tests cover. Here each case runs through both, and the endings of the
// driven loop: callback errors, async callbacks, aborts at each point, failed pulls.
import { describe, expect, it } from 'vitest';
import type { Delta } from '../core/index.js';
import { flushMicrotasks } from '../core/index.js';
import { FollowerCallbackError } from './callback-error.js';
import type { DeltaSource } from './from-watcher.js';
import { fromWatcher } from './from-watcher.js';
import { ScriptedWatcher, info, recordingFollower } from './testing/index.js';
import type { RecordingOptions } from './testing/index.js';
import type { EntitySource, WatchEvent } from './watch-event.js';
import { watchEntities } from './watch-entities.js';

const change = (id: string, data: Record<string, unknown> = {}): Delta => ({ removed: false, entity: info('unit', id, data) });
const removal = (id: string): Delta => ({ removed: true, entity: info('unit', id, { address: '.stale' }) }); // would pass the filter as an upsert

/** The same source seen only through its public async iterator (watchEntities cannot drive it). */
function iteratorOnly(src: EntitySource): EntitySource {
  return { [Symbol.asyncIterator]: (): AsyncIterator<WatchEvent> => src[Symbol.asyncIterator]() };
}

const addressed: RecordingOptions = {
  filter: (e) => typeof e.data.address === 'string',
  equals: (a, b) => a.data.address === b.data.address,
};

/** Watchers of every shape fromWatcher distinguishes: no wasReset(), wasReset() with a live set, resets only on the first batch. */
function watchers(): Array<[string, ScriptedWatcher]> {
  const marked = new ScriptedWatcher();
  Object.defineProperty(marked, 'resetsOnlyFirstBatch', { value: true });
  return [['no wasReset', new ScriptedWatcher({ resettable: false })], ['wasReset', new ScriptedWatcher()], ['resetsOnlyFirstBatch', marked]];
}

async function runToEnd(w: ScriptedWatcher, src: EntitySource, opts: RecordingOptions): Promise<string[]> {
  const rec = recordingFollower(opts);
  const ac = new AbortController();
  const done = watchEntities(src, rec.follower, { signal: ac.signal }).catch((e: unknown) => e);
  await flushMicrotasks();
  expect(w.waiting).toBe(true);
  ac.abort();
  expect(await done).toBe(ac.signal.reason);
  expect(w.stopped).toBe(true);
  return rec.log;
}

describe('watchEntities driving a fromWatcher source', () => {
  it('gives the iterator path\'s callbacks for one-change and larger batches, whatever the watcher shape', async () => {
    const script: Delta[][] = [
      [change('a/0', { address: '.1' }), change('b/0')],
      [change('a/0', { address: '.1', other: 1 })], // suppressed by equals
      [change('a/0', { address: '.2' })], // updated, prev is .1
      [change('b/0', { address: '.5' })], // enters the view
      [change('a/0')], // filtered out
      [removal('b/0')], // removed: onDeleted gets the delivered version
      [removal('z/9')], // never seen
      [change('a/0', { address: '.3' })], // re-entry
      [change('c/0', { address: '.4' }), removal('a/0'), change('b/0', { address: '.6' })],
      // A key twice in a batch: the last change wins; a removal wins over a later change (as in the event).
      [change('d/0', { address: '.1' }), removal('d/0'), change('d/0', { address: '.2' }), change('c/0', { address: '.7' }), change('c/0', { address: '.8' })],
    ];
    const expected = [
      'new unit a/0 {"address":".1"}', 'batch synced', 'batch synced',
      'updated unit a/0 {"address":".1"} -> {"address":".2"}', 'batch synced',
      'new unit b/0 {"address":".5"}', 'batch synced',
      'deleted unit a/0 {"address":".2"}', 'batch synced',
      'deleted unit b/0 {"address":".5"}', 'batch synced', 'batch synced',
      'new unit a/0 {"address":".3"}', 'batch synced',
      'new unit b/0 {"address":".6"}', 'new unit c/0 {"address":".4"}', 'deleted unit a/0 {"address":".3"}', 'batch synced',
      'updated unit c/0 {"address":".4"} -> {"address":".8"}', 'batch synced',
    ];
    for (const [name, w] of watchers()) {
      for (const batch of script) w.push(batch);
      expect([name, await runToEnd(w, fromWatcher(w), addressed)]).toEqual([name, expected]);
    }
    const w = new ScriptedWatcher({ resettable: false });
    for (const batch of script) w.push(batch);
    expect(await runToEnd(w, iteratorOnly(fromWatcher(w)), addressed)).toEqual(expected);
  });

  it('a callback that throws on a one-change batch ends the run with a FollowerCallbackError and stops the watcher', async () => {
    for (const [name, w] of watchers()) {
      const boom = new Error('boom');
      const rec = recordingFollower({ hook: (line) => { if (line.startsWith('updated')) throw boom; } });
      w.push([change('a/0', { v: 1 })]).push([change('a/0', { v: 2 })]).push([change('b/0')]);
      const err = await watchEntities(fromWatcher(w), rec.follower).catch((e: unknown) => e);
      expect([name, err]).toEqual([name, expect.any(FollowerCallbackError)]);
      expect((err as FollowerCallbackError).cause).toBe(boom);
      expect((err as Error).message).toBe('onUpdated unit a/0: boom');
      expect(rec.log).toEqual(['new unit a/0 {"v":1}', 'batch synced', 'updated unit a/0 {"v":1} -> {"v":2}']);
      expect(w.stopped).toBe(true);
      expect(w.nexts).toBe(2); // no further pull
    }
  });

  it('async callbacks are awaited one at a time before the next pull', async () => {
    const w = new ScriptedWatcher({ resettable: false });
    const release: Array<() => void> = [];
    const rec = recordingFollower({ hook: () => new Promise<void>((r) => release.push(r)) });
    w.push([change('a/0')]).push([change('a/0', { v: 1 })]);
    const ac = new AbortController();
    const done = watchEntities(fromWatcher(w), rec.follower, { signal: ac.signal }).catch((e: unknown) => e);
    for (const step of ['new unit a/0 {}', 'batch synced', 'updated unit a/0 {} -> {"v":1}', 'batch synced']) {
      await flushMicrotasks();
      expect(rec.log.at(-1)).toBe(step);
      const nexts = w.nexts;
      release.shift()?.();
      expect(release).toEqual([]);
      expect(w.nexts).toBe(nexts);
    }
    await flushMicrotasks();
    expect(w.waiting).toBe(true);
    ac.abort();
    expect(await done).toBe(ac.signal.reason);
  });

  it('an abort during an async callback of a one-change batch waits for it, skips onBatchDone and wins over its error', async () => {
    const w = new ScriptedWatcher({ resettable: false });
    let fail: ((e: Error) => void) | undefined;
    const rec = recordingFollower({ hook: (line) => (line.startsWith('updated') ? new Promise<void>((_r, j) => (fail = j)) : undefined) });
    w.push([change('a/0')]).push([change('a/0', { v: 1 })]);
    const ac = new AbortController();
    let settled = false;
    const done = watchEntities(fromWatcher(w), rec.follower, { signal: ac.signal }).catch((e: unknown) => e).finally(() => (settled = true));
    await flushMicrotasks();
    ac.abort();
    await flushMicrotasks();
    expect(settled).toBe(false); // the running callback is not interrupted
    fail?.(new Error('late'));
    expect(await done).toBe(ac.signal.reason);
    expect(rec.log).toEqual(['new unit a/0 {}', 'batch synced', 'updated unit a/0 {} -> {"v":1}']);
    expect(w.stopped).toBe(true);
  });

  it('an abort from inside a synchronous callback ends the run after it, without onBatchDone', async () => {
    const w = new ScriptedWatcher({ resettable: false });
    const ac = new AbortController();
    const rec = recordingFollower({ hook: (line) => { if (line.startsWith('updated')) ac.abort(); } });
    w.push([change('a/0')]).push([change('a/0', { v: 1 })]).push([change('b/0')]);
    expect(await watchEntities(fromWatcher(w), rec.follower, { signal: ac.signal }).catch((e: unknown) => e)).toBe(ac.signal.reason);
    expect(rec.log).toEqual(['new unit a/0 {}', 'batch synced', 'updated unit a/0 {} -> {"v":1}']);
  });

  it('a failed pull ends the run with its error and stops the watcher; a watcher that throws synchronously too', async () => {
    const w = new ScriptedWatcher({ resettable: false });
    const lost = new Error('backing lost');
    w.push([change('a/0')]).fail(lost);
    expect(await watchEntities(fromWatcher(w), recordingFollower().follower).catch((e: unknown) => e)).toBe(lost);
    expect(w.stopped).toBe(true);

    let stops = 0;
    const thrower: DeltaSource = {
      next: () => {
        throw lost;
      },
      stop: () => {
        stops++;
        return Promise.resolve();
      },
    };
    expect(await watchEntities(fromWatcher(thrower), recordingFollower().follower).catch((e: unknown) => e)).toBe(lost);
    expect(stops).toBe(1);
  });

  it('a malformed batch after the first is NotValid and stops the watcher', async () => {
    const w = new ScriptedWatcher({ resettable: false });
    w.push([]).push('x' as never);
    await expect(watchEntities(fromWatcher(w), recordingFollower().follower)).rejects.toThrow(/batch not valid/);
    expect(w.stopped).toBe(true);
  });
});
