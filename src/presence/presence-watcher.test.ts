import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ManualClock, MemoryLogger, flushMicrotasks, hasCode } from '../core/index.js';
import { MemoryPresenceStore } from './memory-store.js';
import { Pinger } from './pinger.js';
import { PresenceWatcher, newDeadWatcher } from './presence-watcher.js';
import type { PresenceWatcherConfig } from './presence-watcher.js';
import { fieldBit, fieldKey } from './sequence.js';
import type { Change } from './store.js';
import { FaultyPresenceStore } from './testing/index.js';

const M = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const OTHER = '6ba7b810-9dad-41d1-80b4-00c04fd430c8';
const T0 = 1_800_000_000_000;
const S = 1_800_000_000;

function setup(cfg: Partial<PresenceWatcherConfig> = {}) {
  const clock = new ManualClock(T0);
  const store = new FaultyPresenceStore(new MemoryPresenceStore());
  const logger = new MemoryLogger();
  const make = (more: Partial<PresenceWatcherConfig> = {}) =>
    new PresenceWatcher({ store, modelUUID: M, clock, logger, prune: false, ...cfg, ...more });
  return { clock, store, logger, make };
}

/** Marks key alive in the current slot by allocating a seq and pinging it directly. */
async function alive(store: FaultyPresenceStore, key: string, slot = S): Promise<number> {
  const seq = await store.inner.allocate(M, key);
  await store.inner.upsertPings([{ modelUUID: M, slot, fieldKey: fieldKey(seq), alive: fieldBit(seq), dead: 0n }]);
  return seq;
}

function recorder(): { seen: Change[]; l: (c: Change) => void } {
  const seen: Change[] = [];
  return { seen, l: (c) => seen.push(c) };
}

describe('PresenceWatcher', () => {
  it('rejects a bad model UUID, period, skew or key as NotValid', () => {
    const { make } = setup();
    expect(() => make({ modelUUID: 'x' })).toThrow(/modelUUID .* not valid/);
    expect(() => make({ period: 2500 })).toThrow(/period 2500 not valid/);
    expect(() => make({ skewTolerance: -5 })).toThrow(/skewTolerance -5 not valid/);
    expect(() => make({ clock: undefined as unknown as ManualClock })).toThrow('missing Clock not valid');
    const w = make();
    expect(() => w.watch('', () => undefined)).toThrow('key not valid');
    expect(() => w.watch('k'.repeat(256), () => undefined)).toThrow('key not valid');
    void w.stop();
  });

  it('delivers the initial status after the first read, asynchronously, once per (key, listener)', async () => {
    const { store, make } = setup();
    await alive(store, 'm#0');
    const w = make();
    const a = recorder();
    w.watch('m#0', a.l);
    w.watch('m#0', a.l);
    await w.sync();
    expect(a.seen).toEqual([{ key: 'm#0', alive: true }]);
    const reads = store.count('readPings');
    const b = recorder();
    w.watch('m#1', b.l);
    w.watch('m#1', b.l);
    expect(b.seen).toEqual([]); // never inside watch()
    await flushMicrotasks();
    expect(b.seen).toEqual([{ key: 'm#1', alive: false }]);
    expect(store.count('readPings')).toBe(reads); // watch never reads storage
    expect(w.report().listeners).toBe(2);
    await w.stop();
  });

  it('reports transitions only, in ascending key order, and nothing while nothing changes', async () => {
    const { clock, store, make } = setup();
    const w = make();
    const r = recorder();
    for (const k of ['u#b/0', 'u#a/0', 'm#9']) w.watch(k, r.l);
    await w.sync();
    r.seen.length = 0;
    await alive(store, 'u#b/0');
    await alive(store, 'u#a/0');
    await alive(store, 'm#9');
    await w.sync();
    expect(r.seen.map((c) => c.key)).toEqual(['m#9', 'u#a/0', 'u#b/0']);
    await w.sync();
    await w.sync();
    await clock.advanceAsync(20_000);
    expect(r.seen).toHaveLength(3);
    await w.stop();
  });

  it('unwatch drops undelivered events; unknown pairs are a no-op', async () => {
    const { make } = setup();
    const w = make();
    await w.sync();
    const r = recorder();
    w.watch('m#0', r.l);
    w.unwatch('m#0', r.l);
    w.unwatch('m#0', r.l);
    w.unwatch('nobody', r.l);
    await flushMicrotasks();
    expect(r.seen).toEqual([]);
    w.watch('m#0', r.l); // a fresh registration gets a fresh initial event
    await flushMicrotasks();
    expect(r.seen).toEqual([{ key: 'm#0', alive: false }]);
    await w.stop();
  });

  it('a throwing or rejecting listener is logged and does not keep events from the others', async () => {
    const { store, logger, make } = setup();
    const w = make();
    const r = recorder();
    w.watch('m#0', () => {
      throw new Error('listener bug');
    });
    w.watch('m#0', () => Promise.reject(new Error('async listener bug')) as unknown as void);
    w.watch('m#0', r.l);
    await w.sync();
    await alive(store, 'm#0');
    await w.sync();
    await flushMicrotasks();
    expect(r.seen.map((c) => c.alive)).toEqual([false, true]);
    expect(logger.at('error').filter((x) => x.msg === 'presence listener failed')).toHaveLength(4);
    await w.stop();
  });

  it('sync waits for a read that starts after the call; startSync requests coalesce', async () => {
    const { store, make } = setup();
    const w = make();
    await w.sync();
    const release = store.hold('readPings');
    w.startSync(); // read 3 starts and is held
    await flushMicrotasks();
    const before = store.count('readPings');
    let synced = false;
    const s = w.sync().then(() => (synced = true));
    w.startSync();
    w.startSync();
    await alive(store, 'm#0'); // written after read 3 started: only a later read sees it
    release();
    await s;
    expect(synced).toBe(true);
    expect(store.count('readPings')).toBe(before + 1);
    expect(await w.alive('m#0')).toBe(true);
    await w.stop();
  });

  it('every read re-arms the periodic read for P from its start', async () => {
    const { clock, store, make } = setup();
    const w = make();
    await flushMicrotasks();
    await clock.advanceAsync(10_000);
    await w.sync(); // read at 10
    const n = store.count('readPings');
    await clock.advanceAsync(29_999);
    expect(store.count('readPings')).toBe(n);
    await clock.advanceAsync(1);
    expect(store.count('readPings')).toBe(n + 1);
    await w.stop();
  });

  it('loads beings once, ≤ 1000 a query; unowned seqs are ignored and not cached', async () => {
    const { store, make } = setup();
    const rows = [];
    for (let i = 0; i < 2500; i++) {
      const seq = await store.inner.allocate(M, `u#a/${i}`);
      rows.push({ modelUUID: M, slot: S, fieldKey: fieldKey(seq), alive: fieldBit(seq), dead: 0n });
    }
    rows.push({ modelUUID: M, slot: S, fieldKey: fieldKey(5000), alive: fieldBit(5000), dead: 0n }); // no being
    await store.inner.upsertPings(rows);
    const w = make();
    await w.sync();
    expect(store.count('lookupBeings')).toBe(4);
    expect(w.report()).toMatchObject({ 'being-loads': 2500, 'alive-keys': 2500, 'cached-beings': 2500 });
    await w.sync();
    expect(store.count('lookupBeings')).toBe(5); // only the unowned seq again
    expect(w.report()['being-loads']).toBe(2500);
    await w.stop();
  });

  it('a read error kills it: err, dead, wait, stop, alive and sync all say so, and no event follows', async () => {
    const { store, make } = setup();
    const w = make();
    const r = recorder();
    w.watch('m#0', r.l);
    await w.sync();
    const cause = new Error('connection lost');
    store.fail('readPings', cause);
    await alive(store, 'm#0');
    w.startSync();
    await w.dead;
    expect(w.err()).toMatchObject({ code: 'Internal', cause });
    await expect(w.wait()).rejects.toBe(w.err());
    await expect(w.stop()).rejects.toBe(w.err());
    await expect(w.alive('m#0')).rejects.toThrow('cannot check liveness: watcher is dying');
    await w.sync();
    w.watch('m#1', r.l);
    w.startSync();
    await flushMicrotasks();
    expect(r.seen).toEqual([{ key: 'm#0', alive: false }]);
  });

  it('a clean stop: err() null, alive refuses, sync resolves, an in-flight read is discarded', async () => {
    const { store, make } = setup();
    const w = make();
    const r = recorder();
    w.watch('m#0', r.l);
    await w.sync();
    expect(w.err()).toBeUndefined();
    const release = store.hold('readPings');
    w.startSync();
    await alive(store, 'm#0');
    let stopped = false;
    const stop = w.stop().then(() => (stopped = true));
    await expect(w.alive('m#0')).rejects.toSatisfy((e) => hasCode(e, 'Stopped'));
    await w.sync();
    await flushMicrotasks();
    expect(stopped).toBe(false); // waits for the read in flight
    release();
    await stop;
    expect(w.err()).toBeNull();
    await w.stop();
    await flushMicrotasks();
    expect(r.seen).toEqual([{ key: 'm#0', alive: false }]);
  });

  it('newDeadWatcher behaves as after a failure', async () => {
    const err = new Error('no state');
    const w = newDeadWatcher(err);
    await w.dead;
    expect(w.err()).toBe(err);
    await expect(w.stop()).rejects.toBe(err);
    await expect(w.alive('m#0')).rejects.toThrow('cannot check liveness: watcher is dying');
    await w.sync();
    w.watch('m#0', () => undefined);
    w.startSync();
  });

  it('prunes with probability min(1, 0.0038·n): the 132nd read at a draw of 0.5', async () => {
    const { store, make } = setup();
    const w = make({ prune: true, random: () => 0.5 });
    await w.sync();
    for (let i = 0; i < 129; i++) await w.sync();
    expect(store.count('deletePingsBefore')).toBe(0); // 131 reads so far
    await w.sync();
    expect(store.count('deletePingsBefore')).toBe(1);
    await w.sync(); // sync does not wait for the prune after its read; the next read does
    expect(w.report()['prune-runs']).toBe(1);
    expect(store.count('deletePingsBefore')).toBe(1);
    await w.stop();
  });

  it('a prune error is only logged; a prune never overlaps a read', async () => {
    const { store, logger, make } = setup();
    const w = make({ prune: true, random: () => 0 });
    await w.sync();
    store.fail('deletePingsBefore', new Error('lock timeout'));
    await w.sync();
    await w.sync();
    expect(logger.at('error').some((x) => x.msg === 'presence prune failed')).toBe(true);
    const release = store.hold('deletePingsBefore');
    w.startSync(); // read, then a held prune
    await flushMicrotasks();
    const reads = store.count('readPings');
    w.startSync();
    await flushMicrotasks();
    expect(store.count('readPings')).toBe(reads);
    release();
    await w.sync();
    expect(w.err()).toBeUndefined();
    await w.stop();
  });

  it('re-reads when the doorbell rings for its model or for several, not for another model', async () => {
    const { store, make } = setup();
    const w = make();
    await w.sync();
    const n = store.count('readPings');
    store.ring(OTHER);
    await flushMicrotasks();
    expect(store.count('readPings')).toBe(n);
    store.ring(M);
    await flushMicrotasks();
    expect(store.count('readPings')).toBe(n + 1);
    store.ring('*');
    await flushMicrotasks();
    expect(store.count('readPings')).toBe(n + 2);
    await w.stop();
    store.ring(M);
    await flushMicrotasks();
    expect(store.count('readPings')).toBe(n + 2);
  });

  it('clock skew: a pinger 10 s behind flaps with no tolerance and stays alive with 10 s tolerated', async () => {
    for (const [skewTolerance, expected] of [[0, [false, true, false, true]], [10_000, [false, true]]] as const) {
      const { clock, store, make } = setup();
      const behind = new ManualClock(T0 - 10_000);
      const p = new Pinger({ store, modelUUID: M, key: 'm#0', clock: behind });
      const w = make({ skewTolerance });
      const r = recorder();
      w.watch('m#0', r.l);
      await p.start();
      for (let i = 0; i < 24; i++) {
        behind.advance(5_000);
        await clock.advanceAsync(5_000);
        await w.sync();
      }
      expect(r.seen.map((c) => c.alive)).toEqual(expected);
      await p.stop();
      await w.stop();
    }
  });

  it('exports keys alive and transitions to the registry', async () => {
    const registry = new Registry();
    const { store, make } = setup({ registry });
    const w = make();
    w.watch('m#0', () => undefined);
    await w.sync();
    await alive(store, 'm#0');
    await w.sync();
    const text = await registry.metrics();
    expect(text).toContain(`modelwatch_presence_keys_alive{model_uuid="${M}"} 1`);
    expect(text).toContain('modelwatch_presence_transitions_total{to="alive"} 1');
    await w.stop();
    expect(await registry.metrics()).not.toContain(`model_uuid="${M}"`);
  });
});
