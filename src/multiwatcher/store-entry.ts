// One store entry and the revno-ordered intrusive lists that hold it: one list of every entry
// (the controller's view) and one per model, so scoped walks never visit other models' entries.
import type { Delta, EntityInfo } from '../core/index.js';

/** Half-open interval [fromRevno, toRevno) during which a resurrected entry was removed. */
export type RemovedInterval = readonly [fromRevno: number, toRevno: number];

/** Which of an entry's two link pairs a list uses. */
export type ListSlot = 0 | 1;
/** Slot of the store-wide list. */
export const ALL_SLOT: ListSlot = 0;
/** Slot of the per-model list. */
export const MODEL_SLOT: ListSlot = 1;

/** An entity as the store keeps it (spec §3.1). Only the store mutates entries. */
export class StoreEntry {
  readonly key: string;
  /** Last info; for a tombstone, the info it had when removed. Owned by the store. */
  info: EntityInfo;
  /** Revision of the last change (update, resurrection or removal). */
  revno: number;
  /** Revision at which the entry was added; kept across resurrections. */
  readonly creationRevno: number;
  /** Tombstone flag. */
  removed = false;
  /**
   * Watchers that hold the entity and have not been told of its removal, among those positioned before
   * its revno. Readers at or after the revno of a live entry hold it too and are not counted here
   * (the store adds them from its reader positions), so a reader joining or leaving at a recent
   * position touches only the entries changed since. For a tombstone this is every holder.
   */
  refCount = 0;
  /** Intervals from resurrections (§3.2); undefined in the common case of none. */
  removedIntervals: RemovedInterval[] | undefined;
  /** Memoised shared delta of the current revision (see MultiwatcherStore.sharedChangesSince). */
  shared: Delta | undefined;
  /** Links: [store-wide list, model list]. */
  readonly prev: [StoreEntry | undefined, StoreEntry | undefined] = [undefined, undefined];
  readonly next: [StoreEntry | undefined, StoreEntry | undefined] = [undefined, undefined];

  constructor(key: string, info: EntityInfo, revno: number) {
    this.key = key;
    this.info = info;
    this.revno = revno;
    this.creationRevno = revno;
  }
}

/**
 * held(E, r) of spec §3.2: a reader at revision r holds E iff E was live at r: created at or before r,
 * not removed at or before r (tombstone), and r in none of its removed intervals.
 */
export function heldAt(e: StoreEntry, r: number): boolean {
  if (e.creationRevno > r) return false;
  if (e.removed && e.revno <= r) return false;
  const intervals = e.removedIntervals;
  if (intervals !== undefined) {
    for (const [from, to] of intervals) if (from <= r && r < to) return false;
  }
  return true;
}

/** A doubly linked list of entries in ascending revno; appending at the tail keeps it sorted. */
export class EntryList {
  readonly #slot: ListSlot;
  head: StoreEntry | undefined;
  tail: StoreEntry | undefined;
  size = 0;

  constructor(slot: ListSlot) {
    this.#slot = slot;
  }

  /** Appends e (which must not be in this list). */
  push(e: StoreEntry): void {
    const s = this.#slot;
    e.prev[s] = this.tail;
    e.next[s] = undefined;
    if (this.tail === undefined) this.head = e;
    else this.tail.next[s] = e;
    this.tail = e;
    this.size++;
  }

  /** Unlinks e (which must be in this list). */
  unlink(e: StoreEntry): void {
    const s = this.#slot;
    const p = e.prev[s];
    const n = e.next[s];
    if (p === undefined) this.head = n;
    else p.next[s] = n;
    if (n === undefined) this.tail = p;
    else n.prev[s] = p;
    e.prev[s] = undefined;
    e.next[s] = undefined;
    this.size--;
  }

  /** Moves e to the tail: its revno just became the latest. */
  moveToTail(e: StoreEntry): void {
    if (this.tail === e) return;
    this.unlink(e);
    this.push(e);
  }

  /** Entry before e in this list. */
  prevOf(e: StoreEntry): StoreEntry | undefined {
    return e.prev[this.#slot];
  }

  /** Entry after e in this list. */
  nextOf(e: StoreEntry): StoreEntry | undefined {
    return e.next[this.#slot];
  }
}
