// A consumer's view rebuilt from batches (spec §4.2): change puts, remove deletes; removing an
// absent entity is an error, so tests catch removal deltas sent to watchers that never held them.
import type { Delta, EntityInfo } from '../../core/index.js';
import { cloneInfo, compareEntityIds, entityKey } from '../../core/index.js';

/** Entities as a watcher has been told of them. */
export class DeltaView {
  readonly #entities = new Map<string, EntityInfo>();

  /** Applies one batch in order. @throws Error on a removal of an entity the view does not hold. */
  apply(deltas: readonly Delta[]): void {
    for (const d of deltas) {
      const key = entityKey(d.entity);
      if (!d.removed) this.#entities.set(key, cloneInfo(d.entity));
      else if (!this.#entities.delete(key)) throw new Error(`removal of an entity the view does not hold: ${key.replaceAll('\u0000', '/')}`);
    }
  }

  /** Replaces the view (after a reset). */
  replace(deltas: readonly Delta[]): void {
    this.#entities.clear();
    this.apply(deltas);
  }

  /** Entities, sorted by identity. */
  list(): EntityInfo[] {
    return [...this.#entities.values()].sort(compareEntityIds);
  }

  get size(): number {
    return this.#entities.size;
  }
}
