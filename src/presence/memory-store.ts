// MemoryPresenceStore: the PresenceStore semantics over Maps, for tests, benchmarks and single
// processes without a database. Rings are delivered in-process on a later microtask.
import { LocalDoorbell } from './local-doorbell.js';
import type { Being, PingDoc, PingMasks, PingRow, PresenceStore, RingListener } from './store.js';

interface Masks {
  alive: bigint;
  dead: bigint;
}

/** Pings of one model: slot → field key → masks. */
type ModelPings = Map<number, Map<string, Masks>>;

/** An in-memory PresenceStore. Every method completes without I/O. */
export class MemoryPresenceStore implements PresenceStore {
  /** Last seq handed out per model; absent = none. */
  readonly #seqs = new Map<string, number>();
  readonly #beings = new Map<string, Map<number, string>>();
  readonly #pings = new Map<string, ModelPings>();
  readonly #doorbell = new LocalDoorbell();

  pingDoc(modelUUID: string, slot: number): Promise<PingDoc | undefined> {
    const fields = this.#pings.get(modelUUID)?.get(slot);
    if (fields === undefined || fields.size === 0) return Promise.resolve(undefined);
    const doc: PingDoc = { slot, alive: {}, dead: {} };
    for (const [key, m] of fields) {
      if (m.alive !== 0n) doc.alive[key] = m.alive;
      if (m.dead !== 0n) doc.dead[key] = m.dead;
    }
    return Promise.resolve(doc);
  }

  countDocs(kind: 'pings' | 'beings' | 'seqs', modelUUID?: string): Promise<number> {
    const models = (m: Map<string, unknown>): string[] => (modelUUID === undefined ? [...m.keys()] : m.has(modelUUID) ? [modelUUID] : []);
    let n = 0;
    switch (kind) {
      case 'seqs':
        n = models(this.#seqs).length;
        break;
      case 'beings':
        for (const m of models(this.#beings)) n += this.#beings.get(m)?.size ?? 0;
        break;
      case 'pings':
        for (const m of models(this.#pings)) n += this.#pings.get(m)?.size ?? 0;
        break;
    }
    return Promise.resolve(n);
  }

  beingKey(modelUUID: string, seq: number): Promise<string | undefined> {
    return Promise.resolve(this.#beings.get(modelUUID)?.get(seq));
  }

  lastSeq(modelUUID: string): Promise<number> {
    return Promise.resolve(this.#seqs.get(modelUUID) ?? 0);
  }

  allocate(modelUUID: string, key: string): Promise<number> {
    const seq = (this.#seqs.get(modelUUID) ?? 0) + 1;
    this.#seqs.set(modelUUID, seq);
    let beings = this.#beings.get(modelUUID);
    if (beings === undefined) this.#beings.set(modelUUID, (beings = new Map<number, string>()));
    beings.set(seq, key);
    return Promise.resolve(seq);
  }

  upsertPings(rows: readonly PingRow[]): Promise<void> {
    for (const r of rows) {
      let model = this.#pings.get(r.modelUUID);
      if (model === undefined) this.#pings.set(r.modelUUID, (model = new Map<number, Map<string, Masks>>()));
      let fields = model.get(r.slot);
      if (fields === undefined) model.set(r.slot, (fields = new Map<string, Masks>()));
      const m = fields.get(r.fieldKey);
      if (m === undefined) fields.set(r.fieldKey, { alive: r.alive, dead: r.dead });
      else {
        m.alive |= r.alive;
        m.dead |= r.dead;
      }
    }
    return Promise.resolve();
  }

  readPings(modelUUID: string, slots?: readonly number[]): Promise<PingMasks[]> {
    const model = this.#pings.get(modelUUID);
    const out: PingMasks[] = [];
    if (model === undefined) return Promise.resolve(out);
    const wanted = slots === undefined ? [...model.keys()] : [...new Set(slots)];
    for (const slot of wanted) {
      for (const [fieldKey, m] of model.get(slot) ?? []) out.push({ slot, fieldKey, alive: m.alive, dead: m.dead });
    }
    return Promise.resolve(out);
  }

  lookupBeings(modelUUID: string, seqs: readonly number[]): Promise<Map<number, string>> {
    const beings = this.#beings.get(modelUUID);
    const out = new Map<number, string>();
    for (const seq of seqs) {
      const key = beings?.get(seq);
      if (key !== undefined) out.set(seq, key);
    }
    return Promise.resolve(out);
  }

  deletePingsBefore(modelUUID: string, slot: number): Promise<number> {
    const model = this.#pings.get(modelUUID);
    let n = 0;
    for (const [s, fields] of model ?? []) {
      if (s >= slot) continue;
      n += fields.size;
      model?.delete(s);
    }
    if (model?.size === 0) this.#pings.delete(modelUUID);
    return Promise.resolve(n);
  }

  beingsOf(modelUUID: string): Promise<Being[]> {
    return Promise.resolve([...(this.#beings.get(modelUUID) ?? [])].map(([seq, key]) => ({ seq, key })));
  }

  deleteBeings(modelUUID: string, seqs: readonly number[]): Promise<number> {
    const beings = this.#beings.get(modelUUID);
    let n = 0;
    for (const seq of seqs) if (beings?.delete(seq) === true) n++;
    if (beings?.size === 0) this.#beings.delete(modelUUID);
    return Promise.resolve(n);
  }

  removeModel(modelUUID: string): Promise<void> {
    this.#pings.delete(modelUUID);
    this.#beings.delete(modelUUID);
    this.#seqs.delete(modelUUID);
    return Promise.resolve();
  }

  ring(modelUUID: string): void {
    this.#doorbell.ring(modelUUID);
  }

  onRing(listener: RingListener): () => void {
    return this.#doorbell.onRing(listener);
  }
}
