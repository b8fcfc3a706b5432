import { describe, expect, it } from 'vitest';
import type { Delta } from '../core/index.js';
import { flushMicrotasks } from '../core/index.js';
import type { DeltaSource } from './from-watcher.js';
import { fromWatcher } from './from-watcher.js';
import { M1, ScriptedWatcher, entityId, info, recordingFollower } from './testing/index.js';
import { watchEntities } from './watch-entities.js';

const change = (kind: string, id: string, data: Record<string, unknown> = {}): Delta => ({ removed: false, entity: info(kind, id, data) });
const removal = (kind: string, id: string, data: Record<string, unknown> = {}): Delta => ({ removed: true, entity: info(kind, id, data) });

/**
 * Follows `w` through fromWatcher until it waits for a batch the script lacks, then aborts; the
 * run must end with the abort reason (not an error of its own). Gives the follower's calls.
 */
async function followScript(w: ScriptedWatcher): Promise<string[]> {
  const rec = recordingFollower();
  const ac = new AbortController();
  const done = watchEntities(fromWatcher(w), rec.follower, { signal: ac.signal }).catch((e: unknown) => e);
  await flushMicrotasks();
  expect(w.waiting).toBe(true);
  ac.abort();
  expect(await done).toBe(ac.signal.reason);
  return rec.log;
}

describe('fromWatcher', () => {
  it('maps a batch to one event: changes as entities, removals as tombstones (ids only), in batch order', async () => {
    const w = new ScriptedWatcher().push([]).push([change('unit', 'mysql/0'), removal('machine', '3', { series: 'x' }), change('unit', 'a')]);
    const it = fromWatcher(w)[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ done: false, value: { entities: [], tombstones: [], lastBacklogged: true } });
    expect(await it.next()).toEqual({
      done: false,
      value: { entities: [info('unit', 'mysql/0'), info('unit', 'a')], tombstones: [{ kind: 'machine', modelUUID: M1, id: '3' }] },
    });
  });

  it('only the first batch is the backlog (lastBacklogged), even when empty', async () => {
    const w = new ScriptedWatcher().push([]).push([change('unit', 'a')]);
    expect(await followScript(w)).toEqual(['batch synced', 'new unit a {}', 'batch synced']);
  });

  it('onDeleted gets the last delivered version, not the removal delta\'s info', async () => {
    const w = new ScriptedWatcher().push([change('unit', 'a', { v: 1 })]).push([removal('unit', 'a', { v: 2 })]);
    expect(await followScript(w)).toEqual(['new unit a {"v":1}', 'batch synced', 'deleted unit a {"v":1}', 'batch synced']);
  });

  it('return() stops the watcher at once while next() is pending; that step resolves done', async () => {
    const w = new ScriptedWatcher().push([]);
    const it = fromWatcher(w)[Symbol.asyncIterator]();
    await it.next();
    const pending = it.next();
    await flushMicrotasks();
    expect(w.waiting).toBe(true);
    await it.return?.();
    expect(w.stops).toBe(1);
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(w.nexts).toBe(2);
  });

  it('aborting watchEntities while it waits stops the watcher', async () => {
    const w = new ScriptedWatcher().push([]);
    const ac = new AbortController();
    const done = watchEntities(fromWatcher(w), recordingFollower().follower, { signal: ac.signal }).catch((e: unknown) => e);
    await flushMicrotasks();
    ac.abort('bye');
    expect(await done).toBe('bye');
    expect(w.stopped).toBe(true);
  });

  it('abort is prompt even when the watcher\'s stop() leaves its pending next() unsettled', async () => {
    let stops = 0;
    let firstDone = false;
    const stubborn: DeltaSource = {
      next: () => (firstDone ? new Promise<Delta[]>(() => undefined) : ((firstDone = true), Promise.resolve([]))),
      stop: () => (stops++, Promise.resolve()),
    };
    const ac = new AbortController();
    const done = watchEntities(fromWatcher(stubborn), recordingFollower().follower, { signal: ac.signal }).catch((e: unknown) => e);
    await flushMicrotasks();
    ac.abort('now');
    expect(await done).toBe('now');
    expect(stops).toBe(1);
  });

  it('a rejection the consumer did not cause ends the iteration with that error, and watchEntities with it', async () => {
    const boom = new Error('backing failed');
    const w = new ScriptedWatcher().push([change('unit', 'a')]).fail(boom);
    await expect(watchEntities(fromWatcher(w), recordingFollower().follower)).rejects.toBe(boom);
    expect(w.stops).toBe(1); // released all the same

    const stoppedElsewhere = new ScriptedWatcher().push([]);
    const done = expect(watchEntities(fromWatcher(stoppedElsewhere), recordingFollower().follower)).rejects.toThrow('watcher was stopped');
    await flushMicrotasks();
    await stoppedElsewhere.stop();
    await done;
  });

  it('is single use: a second iterator\'s first step rejects "entity source already in use"', async () => {
    const w = new ScriptedWatcher().push([change('unit', 'a')]);
    const src = fromWatcher(w);
    const first = src[Symbol.asyncIterator]();
    const second = src[Symbol.asyncIterator]();
    await expect(second.next()).rejects.toThrow('entity source already in use');
    expect((await first.next()).done).toBe(false);
    await second.return?.();
    expect(w.stops).toBe(0); // the intruder cannot stop the owner's watcher
  });

  it('re-list with deletions in the gap: a reset batch tombstones live keys the snapshot lacks', async () => {
    const w = new ScriptedWatcher();
    w.push([change('unit', 'a', { v: 1 }), change('unit', 'b'), change('unit', 'c')]);
    w.push([removal('unit', 'c')]);
    // Resumed elsewhere: b vanished in the gap, a changed, d appeared; c was already tombstoned.
    w.push([change('unit', 'a', { v: 2 }), change('unit', 'd')], { reset: true });
    const it = fromWatcher(w)[Symbol.asyncIterator]();
    await it.next();
    await it.next();
    expect((await it.next()).value).toEqual({ entities: [info('unit', 'a', { v: 2 }), info('unit', 'd')], tombstones: [entityId('unit', 'b')] });

    const w2 = new ScriptedWatcher();
    w2.push([change('unit', 'a', { v: 1 }), change('unit', 'b')]).push([change('unit', 'a', { v: 2 })], { reset: true });
    expect(await followScript(w2)).toEqual(['new unit a {"v":1}', 'new unit b {}', 'batch synced', 'updated unit a {"v":1} -> {"v":2}', 'deleted unit b {}', 'batch synced']);
  });

  it('a sticky reset flag (set once, for the first batch) does not turn later batches into resets', async () => {
    const inner = new ScriptedWatcher({ resettable: false });
    const sticky: DeltaSource = { next: () => inner.next(), stop: () => inner.stop(), wasReset: () => true };
    inner.push([change('unit', 'a'), change('unit', 'b')]).push([change('unit', 'a', { v: 1 })]);
    const it = fromWatcher(sticky)[Symbol.asyncIterator]();
    await it.next();
    expect((await it.next()).value).toEqual({ entities: [info('unit', 'a', { v: 1 })], tombstones: [] });
  });

  it('a watcher without wasReset() never gets reset tombstones', async () => {
    const w = new ScriptedWatcher({ resettable: false }).push([change('unit', 'a')]).push([change('unit', 'b')], { reset: true });
    const it = fromWatcher(w)[Symbol.asyncIterator]();
    await it.next();
    expect((await it.next()).value).toEqual({ entities: [info('unit', 'b')], tombstones: [] });
  });

  it('bad input: a missing watcher or a non-array batch is NotValid', async () => {
    expect(() => fromWatcher(undefined as never)).toThrow('missing Watcher not valid');
    const bad: DeltaSource = { next: () => Promise.resolve('x' as never), stop: () => Promise.resolve() };
    await expect(fromWatcher(bad)[Symbol.asyncIterator]().next()).rejects.toThrow(/batch not valid/);
  });
});
