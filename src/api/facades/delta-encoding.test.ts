// Serialise once (STYLE §9): every RPC watcher of a change gets the same delta object, encoded once;
// the frame built around the cached texts is the JSON the spec's shapes describe.
import { describe, expect, it } from 'vitest';
import { flushMicrotasks, ManualClock, nullLogger } from '../../core/index.js';
import type { AllWatcherBacking, BackingChange, BackingStore, EntityInfo } from '../../core/index.js';
import { MultiwatcherWorker } from '../../multiwatcher/index.js';
import { encodeResult } from '../rpc/envelope.js';
import { deltaEncodings, encodeNextResult } from './delta-encoding.js';
import { DeltaWatcher } from './delta-watcher.js';

const M = '11111111-1111-4111-8111-111111111111';
const M2 = '22222222-2222-4222-8222-222222222222';

/** A backing over a map of entities; emit() reports a change the next re-read applies. */
class MapBacking implements AllWatcherBacking {
  readonly entities = new Map<string, EntityInfo>();
  #listener: ((c: BackingChange) => void) | undefined;
  getAll(store: BackingStore): Promise<void> {
    for (const e of this.entities.values()) store.update(e);
    return Promise.resolve();
  }
  changed(store: BackingStore, c: BackingChange): Promise<void> {
    const e = this.entities.get(`${c.modelUUID}/${c.kind}/${c.id}`);
    if (e === undefined) store.remove(c);
    else store.update(e);
    return Promise.resolve();
  }
  watch(listener: (c: BackingChange) => void): void {
    this.#listener = listener;
  }
  unwatch(): void {
    this.#listener = undefined;
  }
  put(e: EntityInfo): void {
    this.entities.set(`${e.modelUUID}/${e.kind}/${e.id}`, e);
    this.#listener?.(e);
  }
  drop(e: EntityInfo): void {
    this.entities.delete(`${e.modelUUID}/${e.kind}/${e.id}`);
    this.#listener?.(e);
  }
}

async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await flushMicrotasks();
}

function parsed(r: unknown): Record<string, unknown> {
  return JSON.parse(encodeResult(1, r as Parameters<typeof encodeResult>[1])) as Record<string, unknown>;
}

describe('delta encoding', () => {
  it('a delta is encoded once for many watchers, model and controller-wide alike', async () => {
    const backing = new MapBacking();
    backing.entities.set(`${M}/machine/0`, { kind: 'machine', modelUUID: M, id: '0', data: {} });
    const worker = new MultiwatcherWorker({ clock: new ManualClock(0), logger: nullLogger, backing });
    const watchers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => DeltaWatcher.open(worker.watchShared(i % 2 === 0 ? M : undefined), undefined)),
    );
    await Promise.all(watchers.map((w) => w.next())); // the snapshots
    const before = deltaEncodings();
    const pending = watchers.map((w) => w.next());
    backing.put({ kind: 'machine', modelUUID: M, id: '1', data: { life: 'alive' } });
    await turns();
    const results = await Promise.all(pending);
    expect(deltaEncodings() - before).toBe(1);
    for (const r of results) {
      expect(parsed(r)).toEqual({ 'request-id': 1, response: { revision: expect.any(Number) as number, deltas: [['machine', 'change', { 'model-uuid': M, id: '1', life: 'alive' }]] } });
    }
    // A removal is a new revision of the entity: encoded once more, as a remove.
    const removals = watchers.map((w) => w.next());
    backing.drop({ kind: 'machine', modelUUID: M, id: '1', data: {} });
    await turns();
    for (const r of await Promise.all(removals)) {
      expect((parsed(r).response as { deltas: unknown }).deltas).toEqual([['machine', 'remove', { 'model-uuid': M, id: '1', life: 'alive' }]]);
    }
    expect(deltaEncodings() - before).toBe(2);
    await Promise.all(watchers.map((w) => w.stop()));
    worker.kill();
    await worker.wait();
  });

  it('a changed entity is encoded again, not served from the stale text', async () => {
    const backing = new MapBacking();
    const worker = new MultiwatcherWorker({ clock: new ManualClock(0), logger: nullLogger, backing });
    const w = await DeltaWatcher.open(worker.watchShared(M2), undefined);
    expect(parsed(await w.next()).response).toEqual({ revision: expect.any(Number) as number, deltas: [], reset: true });
    for (const v of [1, 2, 1]) {
      const p = w.next();
      backing.put({ kind: 'unit', modelUUID: M2, id: 'a/0', data: { v } });
      await turns();
      expect((parsed(await p).response as { deltas: unknown }).deltas).toEqual([['unit', 'change', { 'model-uuid': M2, name: 'a/0', v }]]);
    }
    await w.stop();
    worker.kill();
    await worker.wait();
  });

  it('builds the same frame JSON.stringify would, reset last', () => {
    const d = { removed: false, entity: { kind: 'machine', modelUUID: M, id: '0', data: { a: 'x"y' } } };
    const r = encodeNextResult(7, [d, d], true);
    expect(encodeResult(3, r)).toBe(JSON.stringify({ 'request-id': 3, response: { revision: 7, deltas: [['machine', 'change', { a: 'x"y', 'model-uuid': M, id: '0' }], ['machine', 'change', { a: 'x"y', 'model-uuid': M, id: '0' }]], reset: true } }));
  });
});
