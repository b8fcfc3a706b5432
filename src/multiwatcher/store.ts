// The multiwatcher store (spec §3): one revisioned copy of every entity, as a revno-ordered list
// (snapshot and delta log in one), tombstones counted by the readers that hold them. It knows
// nothing of watchers beyond the positions they report through add/decReference.
import type { BackingStore, Delta, EntityId, EntityInfo, Logger } from '../core/index.js';
import { cloneInfo, entityKey, jsonClone, jsonEqual, ModelwatchError, nullLogger } from '../core/index.js';
import { ReaderPositions } from './reader-positions.js';
import { RetentionHeap } from './retention-heap.js';
import { ALL_SLOT, EntryList, heldAt, MODEL_SLOT, StoreEntry } from './store-entry.js';

/** Options of a MultiwatcherStore. */
export interface MultiwatcherStoreOptions {
  /** Receives `programming error: negative reference count`. Default: drop. */
  logger?: Logger;
  /**
   * Keep unreferenced tombstones while `latestRevno - revno < retainRevisions` (spec §3.7), so
   * readers can resume from positions in that window. Default 0: upstream behaviour.
   */
  retainRevisions?: number;
}

/** One row of `entries()`. */
export interface StoreEntryView {
  info: EntityInfo;
  revno: number;
  creationRevno: number;
  removed: boolean;
  refCount: number;
}

/**
 * Revno-ordered store of entity infos with coalescing, tombstones and reference counts.
 * `changesSince`, `addReference` and `decReference` take an optional trailing `modelUUID` that
 * restricts them to that model's entries (spec §4.5); unscoped they act on every entry.
 */
export class MultiwatcherStore implements BackingStore {
  #latestRevno = 0;
  /** Highest removal revno of any removed entity deleted from the store (spec §3.7). */
  #floor = 0;
  readonly #retainRevisions: number;
  readonly #logger: Logger;
  readonly #entries = new Map<string, StoreEntry>();
  readonly #all = new EntryList(ALL_SLOT);
  readonly #models = new Map<string, EntryList>();
  /** The one string object per kind (see #canonicalClone); a model's is its list's entries'. */
  readonly #kinds = new Map<string, string>();
  readonly #retained = new RetentionHeap();
  readonly #positions = new ReaderPositions();
  /** Models touched by effective changes since the last takeTouchedModels(). */
  #touched = new Set<string>();

  constructor(options: MultiwatcherStoreOptions = {}) {
    const retain = options.retainRevisions ?? 0;
    if (!Number.isSafeInteger(retain) || retain < 0) {
      throw new ModelwatchError('NotValid', `retainRevisions ${retain} not valid: must be a non-negative integer`);
    }
    this.#retainRevisions = retain;
    this.#logger = options.logger ?? nullLogger;
  }

  /** Revision of the last effective change; 0 for a new store. */
  get latestRevno(): number {
    return this.#latestRevno;
  }

  /** Lowest position a reader can resume from: every change after it is still known. */
  get floor(): number {
    return this.#floor;
  }

  /** Adds or replaces an entity (a deep copy is kept); a deep-equal update of a live entity is a no-op. */
  update(info: EntityInfo): void {
    checkInfo(info);
    const key = entityKey(info);
    const e = this.#entries.get(key);
    if (e === undefined) {
      const created = new StoreEntry(key, this.#canonicalClone(info), ++this.#latestRevno);
      this.#entries.set(key, created);
      this.#all.push(created);
      this.#modelList(info.modelUUID).push(created);
    } else if (!e.removed) {
      if (jsonEqual(e.info.data, info.data)) return;
      this.#pin(e);
      e.info = versionOf(e.info, info);
      this.#touch(e, ++this.#latestRevno);
    } else {
      // Differs from Juju: re-adding a tombstone resurrects it even with identical data (fix 1),
      // and remembers when it was gone so later holders are counted (fix 2).
      const revno = ++this.#latestRevno;
      const intervals = this.#keptIntervals(e);
      intervals.push([e.revno, revno]);
      e.removedIntervals = intervals;
      e.removed = false;
      e.info = versionOf(e.info, info);
      this.#touch(e, revno);
    }
    this.#touched.add(info.modelUUID);
    this.#expireRetained();
  }

  /** Removes an entity: deleted at once when no reader holds it, else kept as a tombstone. */
  remove(id: EntityId): void {
    const e = this.#entries.get(entityKey(id));
    if (e === undefined || e.removed) return;
    this.#pin(e);
    const revno = ++this.#latestRevno;
    e.removed = true;
    this.#touch(e, revno);
    this.#touched.add(e.info.modelUUID);
    if (e.refCount === 0) this.#collect(e);
    this.#expireRetained();
  }

  /** The info of a live entry or a tombstone (its last info); the store's own object: do not mutate. */
  get(id: EntityId): EntityInfo | undefined {
    return this.#entries.get(entityKey(id))?.info;
  }

  /** Live entities only, deep copies, in no specified order. */
  all(): EntityInfo[] {
    const out: EntityInfo[] = [];
    for (const e of this.#entries.values()) if (!e.removed) out.push(cloneInfo(e.info));
    return out;
  }

  /** Entries, tombstones included. */
  size(): number {
    return this.#entries.size;
  }

  /** Every entry, oldest change first (for diagnostics and tests). */
  entries(): StoreEntryView[] {
    const out: StoreEntryView[] = [];
    for (let e = this.#all.head; e !== undefined; e = this.#all.nextOf(e)) {
      out.push({ info: cloneInfo(e.info), revno: e.revno, creationRevno: e.creationRevno, removed: e.removed, refCount: this.#holders(e) });
    }
    return out;
  }

  /**
   * Net changes after revision r, oldest change first, one per identity (spec §3.5): live entries as
   * changes, tombstones only when a reader at r held them. Walks only entries changed after r.
   */
  changesSince(revno: number, modelUUID?: string): { deltas: Delta[]; latestRevno: number } {
    return this.#changesSince(revno, modelUUID, copyDelta);
  }

  /**
   * changesSince, but the deltas are the store's own objects, shared by every reader that asks at the
   * same entry revision ([ours], for encoders such as the RPC layer: one object per change, so its
   * encoding can be memoised). Read-only: callers must not mutate them.
   */
  sharedChangesSince(revno: number, modelUUID?: string): { deltas: Delta[]; latestRevno: number } {
    return this.#changesSince(revno, modelUUID, sharedDelta);
  }

  #changesSince(revno: number, modelUUID: string | undefined, deltaOf: (e: StoreEntry) => Delta): { deltas: Delta[]; latestRevno: number } {
    const r = Math.max(0, revno);
    const deltas: Delta[] = [];
    const list = this.#scope(modelUUID);
    if (r >= this.#latestRevno || list === undefined) return { deltas, latestRevno: this.#latestRevno };
    for (let e = list.tail; e !== undefined && e.revno > r; e = list.prevOf(e)) {
      if (!e.removed || heldAt(e, r)) deltas.push(deltaOf(e));
    }
    deltas.reverse();
    return { deltas, latestRevno: this.#latestRevno };
  }

  /** True when an entry of the scope changed after r (O(1): the scope's newest entry). */
  hasChangesSince(revno: number, modelUUID?: string): boolean {
    const tail = this.#scope(modelUUID)?.tail;
    return tail !== undefined && tail.revno > revno;
  }

  /**
   * A reader moved from r to latestRevno (same synchronous step as its changesSince(r)): counts the
   * entities it now holds and releases the tombstones it was just told of (spec §3.6).
   */
  addReference(revno: number, modelUUID?: string): void {
    const r = Math.max(0, revno);
    // Holders at or after an entry's revno are counted implicitly (see #holders): moving to the latest
    // revno turns every held entry changed after r from counted to implicit, and releases tombstones.
    this.#release(r, modelUUID);
    this.#positions.delete(modelUUID, r);
    this.#positions.add(modelUUID, this.#latestRevno);
  }

  /** A reader at r leaves: releases every entity it holds. */
  decReference(revno: number, modelUUID?: string): void {
    const r = Math.max(0, revno);
    if (r === 0) return; // nothing is held at 0
    if (!this.#positions.delete(modelUUID, r)) {
      this.#logger.error('programming error: negative reference count', { modelUUID, position: r });
      return;
    }
    this.#release(r, modelUUID); // entries unchanged since r counted it implicitly: nothing to undo
  }

  /**
   * A resumed reader joins at r (0, or r in [floor, latestRevno]): counts it as a holder of every entity of
   * its scope live at r (spec §4.7), so the tombstones it must hear of stay until it does.
   */
  addReader(revno: number, modelUUID?: string): void {
    if (revno === 0) return; // holds nothing, whatever the floor
    if (revno < this.#floor || revno > this.#latestRevno) {
      throw new ModelwatchError('NotValid', `reader position ${revno} not valid: outside [${this.#floor}, ${this.#latestRevno}]`);
    }
    // O(changes after revno): entries unchanged since then count the reader implicitly (#holders).
    const list = this.#scope(modelUUID);
    for (let e = list?.tail; list !== undefined && e !== undefined && e.revno > revno; e = list.prevOf(e)) {
      if (heldAt(e, revno)) e.refCount++;
    }
    this.#positions.add(modelUUID, revno);
  }

  /** Models touched by effective changes since the previous call (the worker's fan-out input). */
  takeTouchedModels(): ReadonlySet<string> {
    const touched = this.#touched;
    if (touched.size > 0) this.#touched = new Set();
    return touched;
  }

  #scope(modelUUID: string | undefined): EntryList | undefined {
    return modelUUID === undefined ? this.#all : this.#models.get(modelUUID);
  }

  /**
   * A copy of a new entity's info whose kind and modelUUID are the store's one string object for
   * them (and a later version keeps the entry's strings, versionOf). Every delta of a model then
   * carries the same modelUUID object, so a consumer comparing identities (a follower's view, a
   * cache keyed by model) compares pointers instead of reading two 36-character strings that are
   * cold in memory.
   */
  #canonicalClone(info: EntityInfo): EntityInfo {
    let kind = this.#kinds.get(info.kind);
    if (kind === undefined) this.#kinds.set(info.kind, (kind = info.kind));
    // Every entry of a model's list was made here and keeps its strings (versionOf): the list's
    // head carries the model's one modelUUID object for as long as the model has entries.
    const modelUUID = this.#models.get(info.modelUUID)?.head?.info.modelUUID ?? info.modelUUID;
    return { kind, modelUUID, id: info.id, data: jsonClone(info.data) };
  }

  #modelList(modelUUID: string): EntryList {
    let list = this.#models.get(modelUUID);
    if (list === undefined) {
      list = new EntryList(MODEL_SLOT);
      this.#models.set(modelUUID, list);
    }
    return list;
  }

  #touch(e: StoreEntry, revno: number): void {
    e.revno = revno;
    this.#all.moveToTail(e);
    this.#models.get(e.info.modelUUID)?.moveToTail(e);
  }

  /** A reader at r stops counting explicitly for the entries changed after r that it holds. */
  #release(r: number, modelUUID: string | undefined): void {
    const list = this.#scope(modelUUID);
    for (let e = list?.tail; list !== undefined && e !== undefined && e.revno > r; ) {
      const prev = list.prevOf(e); // e may be deleted below
      if (heldAt(e, r)) this.#decRef(e);
      e = prev;
    }
  }

  /**
   * Before a live entry's revno moves on: the readers at or after its revno, which held it implicitly,
   * become explicit holders (they stand before the new revno).
   */
  #pin(e: StoreEntry): void {
    e.refCount += this.#positions.countFrom(e.info.modelUUID, e.revno);
  }

  /** Readers holding e: counted ones, plus (live) every reader of its scope at or after its revno. */
  #holders(e: StoreEntry): number {
    return e.removed ? e.refCount : e.refCount + this.#positions.countFrom(e.info.modelUUID, e.revno);
  }

  #decRef(e: StoreEntry): void {
    if (e.refCount === 0) {
      this.#logger.error('programming error: negative reference count', { kind: e.info.kind, modelUUID: e.info.modelUUID, id: e.info.id });
      return;
    }
    e.refCount--;
    if (e.removed && e.refCount === 0) this.#collect(e);
  }

  /** An unreferenced tombstone: kept while inside the retention window, else deleted. */
  #collect(e: StoreEntry): void {
    if (this.#latestRevno - e.revno < this.#retainRevisions) this.#retained.push(e);
    else this.#delete(e);
  }

  #delete(e: StoreEntry): void {
    this.#entries.delete(e.key);
    this.#all.unlink(e);
    const list = this.#models.get(e.info.modelUUID);
    if (list !== undefined) {
      list.unlink(e);
      if (list.size === 0) this.#models.delete(e.info.modelUUID);
    }
    this.#floor = Math.max(this.#floor, e.revno);
  }

  /** Deletes retained tombstones that left the window and are still unreferenced. */
  #expireRetained(): void {
    const horizon = this.#latestRevno - this.#retainRevisions;
    for (let top = this.#retained.peekRevno(); top !== undefined && top <= horizon; top = this.#retained.peekRevno()) {
      const item = this.#retained.pop();
      if (item === undefined) break;
      const e = item.entry;
      const stillRetained = e.removed && e.refCount === 0 && e.revno === item.revno && this.#entries.get(e.key) === e;
      if (stillRetained) this.#delete(e);
    }
  }

  /**
   * The entry's intervals worth keeping: those a reader of its scope stands in, or that end inside the
   * retention window. Dropping one raises the floor to its end, so no resume can land inside it.
   */
  #keptIntervals(e: StoreEntry): Array<readonly [number, number]> {
    const kept: Array<readonly [number, number]> = [];
    const horizon = this.#latestRevno - this.#retainRevisions;
    for (const interval of e.removedIntervals ?? []) {
      const [from, to] = interval;
      if (to > horizon || this.#positions.anyWithin(e.info.modelUUID, from, to)) kept.push(interval);
      else this.#floor = Math.max(this.#floor, to);
    }
    return kept;
  }
}

function copyDelta(e: StoreEntry): Delta {
  return { removed: e.removed, entity: cloneInfo(e.info) };
}

/** The entry's memoised delta; the store replaces (never mutates) info, so identity marks a revision. */
function sharedDelta(e: StoreEntry): Delta {
  const memo = e.shared;
  if (memo !== undefined && memo.entity === e.info && memo.removed === e.removed) return memo;
  const d: Delta = { removed: e.removed, entity: e.info };
  e.shared = d;
  return d;
}

function checkInfo(value: unknown): void {
  const info = value as Partial<Record<keyof EntityInfo, unknown>> | null;
  const ok =
    typeof info === 'object' && info !== null && typeof info.kind === 'string' && typeof info.modelUUID === 'string' &&
    typeof info.id === 'string' && typeof info.data === 'object' && info.data !== null && !Array.isArray(info.data);
  if (!ok) throw new ModelwatchError('NotValid', 'entity info not valid: needs string kind, modelUUID, id and an object data');
}

/** A new version of an entry's entity: the entry's identity strings, a copy of the new data. */
function versionOf(current: EntityInfo, next: EntityInfo): EntityInfo {
  return { kind: current.kind, modelUUID: current.modelUUID, id: current.id, data: jsonClone(next.data) };
}
