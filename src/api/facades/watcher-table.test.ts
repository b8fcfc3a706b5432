// The connection's watcher table and the AllWatcher adapter: ids never reused, exact errors for
// stopped/unknown/other-facade ids, the live limit, a server-failed watcher's error given once.
import { describe, expect, it } from 'vitest';
import { ManualClock, nullLogger } from '../../core/index.js';
import type { AllWatcherBacking, BackingChange, EntityInfo } from '../../core/index.js';
import { MultiwatcherWorker } from '../../multiwatcher/index.js';
import { encodeResult } from '../rpc/envelope.js';
import { DeltaWatcher } from './delta-watcher.js';
import { WatcherTable } from './watcher-table.js';
import type { RpcWatcher } from './watcher-table.js';

const M = '11111111-1111-4111-8111-111111111111';

/** A backing holding one machine whose every re-read fails. */
class FailingBacking implements AllWatcherBacking {
  #listener: ((c: BackingChange) => void) | undefined;
  getAll(store: { update(info: EntityInfo): void }): Promise<void> {
    store.update({ kind: 'machine', modelUUID: M, id: '0', data: {} });
    return Promise.resolve();
  }
  changed(): Promise<void> {
    return Promise.reject(new Error('backing exploded'));
  }
  watch(listener: (c: BackingChange) => void): void {
    this.#listener = listener;
  }
  unwatch(): void {
    this.#listener = undefined;
  }
  emit(c: BackingChange): void {
    this.#listener?.(c);
  }
}

function fake(): RpcWatcher & { stops: number } {
  const w = { stops: 0, next: () => Promise.resolve({}), stop: () => { w.stops++; return Promise.resolve(); } };
  return w;
}

describe('WatcherTable', () => {
  it('issues decimal ids never reused, scoped by facade, with exact errors', async () => {
    const counts: number[] = [];
    const t = new WatcherTable({ maxWatchers: 2, onCountChange: (d) => counts.push(d) });
    const a = t.add('AllWatcher', fake());
    const b = t.add('Presence', fake());
    expect([a, b]).toEqual(['1', '2']);
    expect(() => t.reserve()).toThrow('too many watchers (limit 2)');
    expect(() => t.get('Presence', a)).toThrow('unknown watcher id');
    expect(() => t.get('AllWatcher', '3')).toThrow('unknown watcher id');
    expect(() => t.get('AllWatcher', '01')).toThrow('unknown watcher id');
    await t.stop('AllWatcher', a);
    await t.stop('AllWatcher', a); // idempotent
    await expect(t.stop('Presence', a)).rejects.toThrow('unknown watcher id');
    expect(() => t.get('AllWatcher', a)).toThrow('watcher was stopped');
    expect(t.add('AllWatcher', fake())).toBe('3');
    expect(counts).toEqual([1, 1, -1, 1]);
  });

  it('an add past the limit stops the watcher it was given; close stops all and refuses more', async () => {
    const t = new WatcherTable({ maxWatchers: 1 });
    const kept = fake();
    t.add('AllWatcher', kept);
    const extra = fake();
    expect(() => t.add('AllWatcher', extra)).toThrow('too many watchers (limit 1)');
    expect(extra.stops).toBe(1);
    await t.close();
    expect(kept.stops).toBe(1);
    expect(t.size).toBe(0);
    expect(() => t.reserve()).toThrow('watcher was stopped');
  });

  it('retire frees the slot of a server-failed watcher; its id then reads as stopped', () => {
    const t = new WatcherTable({ maxWatchers: 1 });
    const id = t.add('AllWatcher', fake());
    t.retire(id);
    expect(() => t.get('AllWatcher', id)).toThrow('watcher was stopped');
    expect(t.add('AllWatcher', fake())).toBe('2');
  });
});

describe('DeltaWatcher', () => {
  it('a backing failure reaches a pending Next once, then "watcher was stopped"', async () => {
    const backing = new FailingBacking();
    const worker = new MultiwatcherWorker({ clock: new ManualClock(0), logger: nullLogger, backing });
    const w = await DeltaWatcher.open(worker.watchModel(M), undefined);
    expect(JSON.parse(encodeResult(1, await w.next()))).toMatchObject({ response: { reset: true, deltas: [['machine', 'change', { 'model-uuid': M, id: '0' }]] } });
    const pending = w.next();
    backing.emit({ kind: 'machine', modelUUID: M, id: '1' });
    await expect(pending).rejects.toThrow('backing exploded');
    await expect(w.next()).rejects.toThrow('watcher was stopped');
    worker.kill();
    await worker.wait().catch(() => undefined);
  });
});
