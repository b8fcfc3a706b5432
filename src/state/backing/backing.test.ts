// The backing on both backends: getAll is a snapshot at R, watch delivers every change after R
// exactly once and in revision order (also across processes' worth of States), changed re-reads.
import { afterAll, afterEach, expect, it, vi } from 'vitest';
import { ManualClock, SystemClock, entityKey } from '../../core/index.js';
import type { BackingChange, BackingStore, EntityId, EntityInfo } from '../../core/index.js';
import { openState } from '../open-state.js';
import type { State } from '../state.js';
import { BACKENDS, modelUUID } from '../testdata/backends.js';

const M = modelUUID(7);
const machine = (id: string, n: number): EntityInfo => ({ kind: 'machine', modelUUID: M, id, data: { n } });

/** A BackingStore over a Map, as the multiwatcher store would be. */
function mapStore(): BackingStore & { map: Map<string, EntityInfo> } {
  const map = new Map<string, EntityInfo>();
  return {
    map,
    update: (info) => void map.set(entityKey(info), info),
    remove: (id: EntityId) => void map.delete(entityKey(id)),
    get: (id) => map.get(entityKey(id)),
  };
}

for (const makeBackend of BACKENDS) {
  const backend = makeBackend();
  backend.describe(`backing on ${backend.name}`, () => {
    const opened: State[] = [];
    const open = async (url: string, clock = new ManualClock(0) as ManualClock | SystemClock, pollIntervalMs = 60_000) => {
      const s = await openState(url, { clock, limits: { pollIntervalMs } });
      opened.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });
    afterAll(() => backend.cleanup());

    it('getAll loads a snapshot at R and watch delivers every later change once, in order', async () => {
      const state = await open(await backend.fresh());
      await state.apply([{ op: 'update', entity: machine('0', 0) }, { op: 'update', entity: machine('1', 0) }]);
      await state.update(machine('2', 0));
      const backing = state.allWatcherBacking();
      const seen: BackingChange[] = [];
      backing.watch((c) => seen.push(c));
      const store = mapStore();
      const R = await backing.getAll(store);
      expect(R).toBe(2);
      expect([...store.map.values()].map((x) => x.id).sort()).toEqual(['0', '1', '2']);
      await state.update(machine('0', 1)); // 3
      await state.apply([{ op: 'remove', id: { kind: 'machine', modelUUID: M, id: '1' } }, { op: 'update', entity: machine('3', 0) }]); // 4
      await state.update(machine('3', 0)); // no-op: nothing delivered
      await state.update(machine('2', 5)); // 5
      await vi.waitFor(() => expect(seen.length).toBe(4), { timeout: 10_000 });
      expect(seen.map((c) => [c.rev, c.id])).toEqual([[3, '0'], [4, '1'], [4, '3'], [5, '2']]);
      for (const c of seen) await backing.changed(store, c);
      expect([...store.map.values()].map((x) => [x.id, x.data.n]).sort()).toEqual([['0', 1], ['2', 5], ['3', 0]]);
      expect(Object.fromEntries([...store.map.values()].map((x) => [x.id, x]))).toEqual(
        Object.fromEntries((await state.list()).map((x) => [x.id, x])),
      );
      await backing.release?.();
    });

    it('a backing of another State on the same database sees every commit', async () => {
      const url = await backend.fresh();
      const writer = await open(url);
      const reader = await open(url, new SystemClock(), 50);
      const backing = reader.allWatcherBacking();
      const seen: number[] = [];
      backing.watch((c) => seen.push(c.rev ?? -1));
      expect(await backing.getAll(mapStore())).toBe(0);
      for (let i = 1; i <= 20; i++) await writer.update(machine(String(i % 4), i));
      await vi.waitFor(() => expect(seen).toHaveLength(20), { timeout: 10_000 });
      expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      await backing.release?.();
    });

    it('a second getAll restarts from its own snapshot without repeating or losing changes', async () => {
      const state = await open(await backend.fresh());
      const backing = state.allWatcherBacking();
      const seen: number[] = [];
      backing.watch((c) => seen.push(c.rev ?? -1));
      await backing.getAll(mapStore());
      await state.update(machine('a', 1)); // 1
      await vi.waitFor(() => expect(seen).toEqual([1]), { timeout: 10_000 });
      await state.update(machine('a', 2)); // 2
      expect(await backing.getAll(mapStore())).toBe(2);
      await state.update(machine('a', 3)); // 3
      await vi.waitFor(() => expect(seen.at(-1)).toBe(3), { timeout: 10_000 });
      expect(seen.filter((r) => r === 3)).toHaveLength(1);
      await backing.release?.();
    });
  });
}
