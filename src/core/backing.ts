// The seam between storage and the multiwatcher. Defined here so `state` can implement a backing
// without importing `multiwatcher` (which re-exports these types as its contract names them).
import type { EntityId, EntityInfo } from './entity.js';

/** What a backing may do to the store it fills: the write side of MultiwatcherStore. */
export interface BackingStore {
  update(info: EntityInfo): void;
  remove(id: EntityId): void;
  get(id: EntityId): EntityInfo | undefined;
}

/** A change notification from a backing; `rev` is the database revision, when the backing has one. */
export interface BackingChange {
  kind: string;
  modelUUID: string;
  id: string;
  rev?: number;
}

/** Source of entities for a multiwatcher (spec/multiwatcher.md §2). */
export interface AllWatcherBacking {
  /** Loads every entity into the store; resolves with the snapshot's database revision, if any. */
  getAll(store: BackingStore): Promise<number | void>;
  /** Re-reads the entity and updates or removes it in the store. */
  changed(store: BackingStore, change: BackingChange): Promise<void>;
  /** Installs a listener called synchronously for every change after the snapshot, in order. */
  watch(listener: (change: BackingChange) => void): void;
  unwatch(listener: (change: BackingChange) => void): void;
  release?(): Promise<void>;
}
