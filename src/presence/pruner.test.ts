import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/index.js';
import { MemoryPresenceStore } from './memory-store.js';
import { Pruner } from './pruner.js';
import { fieldBit, fieldKey } from './sequence.js';
import { FaultyPresenceStore } from './testing/index.js';

const M = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const OTHER = '6ba7b810-9dad-41d1-80b4-00c04fd430c8';
const T0 = 1_800_000_000_000;
const S = 1_800_000_000;

async function ping(store: MemoryPresenceStore, model: string, seq: number, slot: number, dead = false): Promise<void> {
  await store.upsertPings([{ modelUUID: model, slot, fieldKey: fieldKey(seq), alive: fieldBit(seq), dead: dead ? fieldBit(seq) : 0n }]);
}

describe('Pruner', () => {
  it('keeps the 4 slots S − 3P … S of pings, of its model only', async () => {
    const store = new MemoryPresenceStore();
    for (let i = 0; i <= 6; i++) await ping(store, M, 1, S - i * 30);
    await ping(store, OTHER, 1, S - 300);
    await new Pruner({ store, modelUUID: M, clock: new ManualClock(T0) }).prune();
    expect((await store.readPings(M)).map((r) => S - r.slot).sort((a, b) => a - b)).toEqual([0, 30, 60, 90]);
    expect(await store.countDocs('pings', OTHER)).toBe(1);
  });

  it('keeps each key\'s newest being and every referenced one; trims the watcher cache', async () => {
    const store = new MemoryPresenceStore();
    for (const key of ['m#0', 'm#0', 'm#0', 'm#1', 'm#2', 'm#2']) await store.allocate(M, key); // seqs 1..6
    await ping(store, M, 2, S); // m#0: 1 unreferenced (deleted), 2 referenced, 3 newest
    await ping(store, M, 5, S - 200); // m#2's old seq 5 only in a pruned slot: deleted
    const cache = new Map([[1, 'm#0'], [2, 'm#0'], [5, 'm#2']]);
    const pruner = new Pruner({ store, modelUUID: M, clock: new ManualClock(T0) });
    await pruner.prune(cache);
    expect((await store.beingsOf(M)).map((b) => b.seq).sort()).toEqual([2, 3, 4, 6]);
    expect([...cache.keys()]).toEqual([2]);
    expect(pruner.report()).toMatchObject({ 'prune-runs': 1, 'beings-deleted': 2, 'pings-deleted': 1 });
    await pruner.prune(); // concurrent or repeated prunes are harmless
    expect((await store.beingsOf(M)).map((b) => b.seq).sort()).toEqual([2, 3, 4, 6]);
  });

  it('deletes superseded beings in batches of at most 1000', async () => {
    const inner = new MemoryPresenceStore();
    const store = new FaultyPresenceStore(inner);
    for (let i = 0; i < 2501; i++) await inner.allocate(M, 'm#0');
    await new Pruner({ store, modelUUID: M, clock: new ManualClock(T0) }).prune();
    expect(store.count('deleteBeings')).toBe(3);
    expect(await inner.countDocs('beings', M)).toBe(1);
    expect(await inner.beingKey(M, 2501)).toBe('m#0');
  });

  it('keeps the extra slots of a tolerated clock skew', async () => {
    const store = new MemoryPresenceStore();
    for (let i = 0; i <= 6; i++) await ping(store, M, 1, S - i * 30);
    await new Pruner({ store, modelUUID: M, clock: new ManualClock(T0), skewTolerance: 20_000 }).prune();
    expect(await store.countDocs('pings', M)).toBe(5);
  });

  it('a store error rejects as Internal with the cause', async () => {
    const store = new FaultyPresenceStore(new MemoryPresenceStore());
    const cause = new Error('timeout');
    store.fail('beingsOf', cause);
    await expect(new Pruner({ store, modelUUID: M, clock: new ManualClock(T0) }).prune()).rejects.toMatchObject({ code: 'Internal', cause });
    expect(() => new Pruner({ store, modelUUID: 'x', clock: new ManualClock(T0) })).toThrow(/not valid/);
    expect(() => new Pruner({ store, modelUUID: M, clock: new ManualClock(T0), period: 100 })).toThrow(/period 100 not valid/);
  });
});
