import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { deferred } from '../core/index.js';
import { registrySample } from '../testing/index.js';
import type { Deferred } from '../core/index.js';
import type { HookInfo } from './hook.js';
import { newHookSender } from './hook-sender.js';
import { newListSource } from './list-source.js';
import { newLiveHookSource } from './live-source.js';
import { RelationState } from './relation-state.js';
import { FakeRelationUnitsWatcher, hooksFor, unitsChange } from './testing/index.js';

const h = hooksFor(2);

/** Yields event-loop turns until `cond` holds (real I/O-free waiting, bounded). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** An `out` whose calls the test settles by hand. */
function manualOut(): { out: (hook: HookInfo) => Promise<void>; calls: { hook: HookInfo; done: Deferred<void> }[] } {
  const calls: { hook: HookInfo; done: Deferred<void> }[] = [];
  return {
    calls,
    out: (hook) => {
      const done = deferred<void>();
      calls.push({ hook, done });
      return done.promise;
    },
  };
}

function live(members: Record<string, number> = {}): { watcher: FakeRelationUnitsWatcher; source: ReturnType<typeof newLiveHookSource> } {
  const watcher = new FakeRelationUnitsWatcher();
  return { watcher, source: newLiveHookSource(new RelationState(2, new Map(Object.entries(members))), watcher) };
}

describe('newHookSender (§6.2)', () => {
  it('delivers in order, one hook in flight, popping only after out resolved', async () => {
    const { watcher, source } = live();
    const { out, calls } = manualOut();
    const sender = newHookSender(out, source);
    watcher.send(unitsChange({ 'a/0': 1 }));
    await until(() => calls.length === 1, 'joined');
    await new Promise((r) => setImmediate(r));
    expect(calls).toHaveLength(1); // nothing else while out is pending
    expect(calls[0]?.hook).toEqual(h.joined('a/0', 1));
    calls[0]?.done.resolve();
    await until(() => calls.length === 2, 'changed');
    expect(calls[1]?.hook).toEqual(h.changed('a/0', 1));
    calls[1]?.done.resolve();
    await sender.stop();
    expect(watcher.stopCalls).toBe(1);
  });

  it('changes that arrive while a hook runs wait, then all apply before the next hook (100 bumps → one changed)', async () => {
    const { watcher, source } = live({ 'a/0': 0, 'b/0': 0 });
    const { out, calls } = manualOut();
    const sender = newHookSender(out, source);
    watcher.send(unitsChange({ 'a/0': 0, 'b/0': 1 }));
    await until(() => calls.length === 1, 'first hook');
    expect(calls[0]?.hook).toEqual(h.changed('b/0', 1));
    for (let v = 1; v <= 100; v++) watcher.send(unitsChange({ 'a/0': v }));
    await new Promise((r) => setImmediate(r));
    expect(watcher.pending).toBeGreaterThan(90); // not applied while out is pending
    calls[0]?.done.resolve();
    await until(() => calls.length === 2, 'coalesced changed');
    expect(calls[1]?.hook).toEqual(h.changed('a/0', 100));
    calls[1]?.done.resolve();
    await until(() => watcher.pending === 0, 'drain');
    await new Promise((r) => setImmediate(r));
    expect(calls).toHaveLength(2);
    await sender.stop();
  });

  it('exhaustion does not stop it: it idles until stop()', async () => {
    const source = newListSource([h.joined('a/0', 1)]);
    const delivered: HookInfo[] = [];
    const sender = newHookSender(async (hook) => { delivered.push(hook); }, source);
    await until(() => source.empty(), 'exhausted');
    expect(delivered).toEqual([h.joined('a/0', 1)]);
    expect(sender.report().state).toBe('waiting');
    await sender.stop();
    await sender.stop(); // idempotent
    expect(sender.report().state).toBe('stopped');
  });

  it('stop() does not wait for an in-flight out, ignores its outcome and pops nothing', async () => {
    const source = newListSource([h.joined('a/0', 1), h.changed('a/0', 1)]);
    const { out, calls } = manualOut();
    const sender = newHookSender(out, source);
    await until(() => calls.length === 1, 'joined in flight');
    await sender.stop();
    calls[0]?.done.resolve();
    await new Promise((r) => setImmediate(r));
    expect(source.next()).toEqual(h.joined('a/0', 1)); // undelivered hooks stay in the source
    expect(calls).toHaveLength(1);
  });

  it.each([
    ['the changes complete', (w: FakeRelationUnitsWatcher) => { w.close(); }, 'hook source stopped providing updates'],
    ['the changes throw', (w: FakeRelationUnitsWatcher) => { w.fail(new Error('watcher exploded')); }, 'watcher exploded'],
    ['update throws', (w: FakeRelationUnitsWatcher) => { w.send(unitsChange({}, ['a/0'])); }, 'hook source watcher sent bad event: {"changed":{},"departed":["a/0"]}'],
  ])('dies when %s, stops the source once, and reports it from stop() and wait()', async (_name, breakIt, message) => {
    const { watcher, source } = live();
    const sender = newHookSender(() => Promise.resolve(), source);
    breakIt(watcher);
    await expect(sender.wait()).rejects.toThrow(message);
    await expect(sender.stop()).rejects.toThrow(message);
    expect(watcher.stopCalls).toBe(1);
    expect(sender.report().state).toBe('dead');
  });

  it.each([
    ['rejects', (): Promise<void> => Promise.reject(new Error('hook failed'))],
    ['throws', (): Promise<void> => { throw new Error('hook failed'); }],
  ])('dies when out %s; the hook is not popped', async (_name, out) => {
    const source = newListSource([h.joined('a/0', 1)]);
    const sender = newHookSender(out, source);
    await expect(sender.wait()).rejects.toThrow('hook failed');
    expect(source.next()).toEqual(h.joined('a/0', 1));
  });

  it('a clean stop rejects with the source\'s stop error', async () => {
    const { watcher, source } = live();
    watcher.failStopWith(new Error('watcher had died'));
    const sender = newHookSender(() => Promise.resolve(), source);
    await expect(sender.stop()).rejects.toThrow('watcher had died');
    expect(watcher.stopCalls).toBe(1);
  });

  it('a loop error wins over the source\'s stop error', async () => {
    const { watcher, source } = live();
    watcher.failStopWith(new Error('second'));
    const sender = newHookSender(() => Promise.reject(new Error('first')), source);
    watcher.send(unitsChange({ 'a/0': 1 }));
    await expect(sender.wait()).rejects.toThrow('first');
    await expect(sender.stop()).rejects.toThrow('first');
    expect(watcher.stopCalls).toBe(1);
  });

  it('stop while waiting for the first change', async () => {
    const { watcher, source } = live({ 'a/0': 1 });
    const sender = newHookSender(() => Promise.resolve(), source);
    await new Promise((r) => setImmediate(r));
    await sender.stop();
    expect(watcher.stopCalls).toBe(1);
    expect(watcher.iterations).toBe(1);
  });

  it('refuses a missing out or source', () => {
    expect(() => newHookSender(undefined as never, newListSource([]))).toThrow('missing out function not valid');
    expect(() => newHookSender(() => Promise.resolve(), undefined as never)).toThrow('missing HookSource not valid');
  });
});

describe('hook sender metrics', () => {
  /** Value of a sample in the registry's text exposition, or undefined. */

  it('counts delivered hooks by kind and running senders by state; a dead sender counts as a death and leaves the gauge', async () => {
    const registry = new Registry();
    const { watcher, source } = live();
    const { out, calls } = manualOut();
    const sender = newHookSender(out, source, { registry });
    expect(await registrySample(registry, 'modelwatch_relation_hook_senders{state="waiting"}')).toBe(1);
    watcher.send(unitsChange({ 'a/0': 1 }));
    await until(() => calls.length === 1, 'joined');
    expect(await registrySample(registry, 'modelwatch_relation_hook_senders{state="delivering"}')).toBe(1);
    calls[0]?.done.resolve();
    await until(() => calls.length === 2, 'changed');
    expect(await registrySample(registry, 'modelwatch_relation_hooks_delivered_total{kind="relation-joined"}')).toBe(1);
    calls[1]?.done.reject(new Error('hook failed'));
    await expect(sender.wait()).rejects.toThrow('hook failed');
    expect(await registrySample(registry, 'modelwatch_relation_hook_sender_deaths_total')).toBe(1);
    expect(await registrySample(registry, 'modelwatch_relation_hook_senders{state="delivering"}')).toBe(0);
    expect(await registrySample(registry, 'modelwatch_relation_hook_senders{state="waiting"}')).toBe(0);
    expect(await registrySample(registry, 'modelwatch_relation_hooks_delivered_total{kind="relation-changed"}')).toBeUndefined();
  });

  it('a clean stop whose source then fails to stop is not counted as a death', async () => {
    const registry = new Registry();
    const { watcher, source } = live();
    const sender = newHookSender(() => Promise.resolve(), source, { registry });
    watcher.failStopWith(new Error('stop failed'));
    await expect(sender.stop()).rejects.toThrow('stop failed');
    expect(sender.report().state).toBe('stopped');
    expect(await registrySample(registry, 'modelwatch_relation_hook_sender_deaths_total')).toBe(0);
    expect(await registrySample(registry, 'modelwatch_relation_hook_senders{state="waiting"}')).toBe(0);
  });

  it('refuses options that are not an object or a registry that is not one', () => {
    const { source } = live();
    expect(() => newHookSender(() => Promise.resolve(), source, null as never)).toThrow('options not valid');
    expect(() => newHookSender(() => Promise.resolve(), source, { registry: {} as unknown as Registry })).toThrow('registry not valid');
  });
});
