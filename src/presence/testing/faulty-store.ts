// A PresenceStore wrapper for tests: counts calls per method, fails chosen methods on demand, and
// can hold calls until released, around any backend (memory, SQLite, PostgreSQL).
import { deferred } from '../../core/index.js';
import type { Deferred } from '../../core/index.js';
import type { Being, PingDoc, PingMasks, PingRow, PresenceStore, RingListener } from '../store.js';

type Method = 'allocate' | 'upsertPings' | 'readPings' | 'lookupBeings' | 'deletePingsBefore' | 'beingsOf' | 'deleteBeings' | 'removeModel';

/** See the file comment. `calls` counts every call; `rows` records every upsertPings batch. */
export class FaultyPresenceStore implements PresenceStore {
  readonly inner: PresenceStore;
  readonly calls = new Map<Method, number>();
  /** The rows of each upsertPings call, in call order. */
  readonly upserts: PingRow[][] = [];
  readonly rings: string[] = [];
  readonly #failures = new Map<Method, { err: Error; times: number }>();
  readonly #holds = new Map<Method, Deferred<void>>();

  constructor(inner: PresenceStore) {
    this.inner = inner;
  }

  /** The next `times` calls of `method` reject with `err` (Infinity: until heal()). */
  fail(method: Method, err: Error, times = 1): void {
    this.#failures.set(method, { err, times });
  }

  /** Stops injecting failures into `method` (every method when omitted). */
  heal(method?: Method): void {
    if (method === undefined) this.#failures.clear();
    else this.#failures.delete(method);
  }

  /** Calls of `method` wait until the returned function is called. */
  hold(method: Method): () => void {
    const d = deferred<void>();
    this.#holds.set(method, d);
    return () => {
      this.#holds.delete(method);
      d.resolve();
    };
  }

  count(method: Method): number {
    return this.calls.get(method) ?? 0;
  }

  async #enter(method: Method): Promise<void> {
    this.calls.set(method, this.count(method) + 1);
    const hold = this.#holds.get(method);
    if (hold !== undefined) await hold.promise;
    const f = this.#failures.get(method);
    if (f !== undefined && f.times > 0) {
      f.times--;
      throw f.err;
    }
  }

  pingDoc(modelUUID: string, slot: number): Promise<PingDoc | undefined> {
    return this.inner.pingDoc(modelUUID, slot);
  }
  countDocs(kind: 'pings' | 'beings' | 'seqs', modelUUID?: string): Promise<number> {
    return this.inner.countDocs(kind, modelUUID);
  }
  beingKey(modelUUID: string, seq: number): Promise<string | undefined> {
    return this.inner.beingKey(modelUUID, seq);
  }
  lastSeq(modelUUID: string): Promise<number> {
    return this.inner.lastSeq(modelUUID);
  }
  async allocate(modelUUID: string, key: string): Promise<number> {
    await this.#enter('allocate');
    return this.inner.allocate(modelUUID, key);
  }
  async upsertPings(rows: readonly PingRow[]): Promise<void> {
    await this.#enter('upsertPings');
    this.upserts.push([...rows]);
    return this.inner.upsertPings(rows);
  }
  async readPings(modelUUID: string, slots?: readonly number[]): Promise<PingMasks[]> {
    await this.#enter('readPings');
    return this.inner.readPings(modelUUID, slots);
  }
  async lookupBeings(modelUUID: string, seqs: readonly number[]): Promise<Map<number, string>> {
    await this.#enter('lookupBeings');
    return this.inner.lookupBeings(modelUUID, seqs);
  }
  async deletePingsBefore(modelUUID: string, slot: number): Promise<number> {
    await this.#enter('deletePingsBefore');
    return this.inner.deletePingsBefore(modelUUID, slot);
  }
  async beingsOf(modelUUID: string): Promise<Being[]> {
    await this.#enter('beingsOf');
    return this.inner.beingsOf(modelUUID);
  }
  async deleteBeings(modelUUID: string, seqs: readonly number[]): Promise<number> {
    await this.#enter('deleteBeings');
    return this.inner.deleteBeings(modelUUID, seqs);
  }
  async removeModel(modelUUID: string): Promise<void> {
    await this.#enter('removeModel');
    return this.inner.removeModel(modelUUID);
  }
  ring(modelUUID: string): void {
    this.rings.push(modelUUID);
    this.inner.ring(modelUUID);
  }
  onRing(listener: RingListener): () => void {
    return this.inner.onRing(listener);
  }
}
