// A map keyed by entity identity (kind, modelUUID, id) that never builds a joined string key: the
// follower's view and fromWatcher's live set. Joining the three strings per change (allocate,
// flatten, hash ~60 characters) was most of the follower's cost per change; nested maps hash each
// part once per string object (V8 caches a string's hash in the string), and the last (kind, model)
// pair used is remembered, so a follower of one model pays one map operation per lookup.
import type { EntityId } from '../core/index.js';

/** kind → modelUUID → id → value. Empty inner maps are pruned, so memory is O(entries). */
export class EntityMap<V> {
  readonly #kinds = new Map<string, Map<string, Map<string, V>>>();
  #size = 0;
  /** The id map of the last (kind, modelUUID) looked up that exists, with its kind and model. */
  #kind: string | undefined;
  #model: string | undefined;
  #ids: Map<string, V> | undefined;

  /** Number of entries. */
  get size(): number {
    return this.#size;
  }

  get(id: EntityId): V | undefined {
    return this.#idsOf(id)?.get(id.id);
  }

  has(id: EntityId): boolean {
    return this.#idsOf(id)?.has(id.id) === true;
  }

  /** Sets the value under `id`'s identity (only its kind, modelUUID and id are read). */
  set(id: EntityId, value: V): this {
    let ids = this.#idsOf(id);
    if (ids === undefined) {
      let models = this.#kinds.get(id.kind);
      if (models === undefined) this.#kinds.set(id.kind, (models = new Map<string, Map<string, V>>()));
      models.set(id.modelUUID, (ids = new Map<string, V>()));
      this.#remember(id, ids);
    }
    const before = ids.size;
    ids.set(id.id, value);
    this.#size += ids.size - before;
    return this;
  }

  /** Removes `id`'s entry; true when there was one. */
  delete(id: EntityId): boolean {
    const ids = this.#idsOf(id);
    if (ids === undefined || !ids.delete(id.id)) return false;
    this.#size--;
    if (ids.size === 0) {
      const models = this.#kinds.get(id.kind);
      models?.delete(id.modelUUID);
      if (models?.size === 0) this.#kinds.delete(id.kind);
      if (this.#ids === ids) this.#forget();
    }
    return true;
  }

  clear(): void {
    this.#kinds.clear();
    this.#size = 0;
    this.#forget();
  }

  /** The identities, as fresh objects, grouped by kind then model (not in key order). */
  *ids(): IterableIterator<EntityId> {
    for (const [kind, models] of this.#kinds) for (const [modelUUID, ids] of models) for (const id of ids.keys()) yield { kind, modelUUID, id };
  }

  /** The values, grouped by kind then model (not in key order). */
  *values(): IterableIterator<V> {
    for (const models of this.#kinds.values()) for (const ids of models.values()) yield* ids.values();
  }

  #idsOf(id: EntityId): Map<string, V> | undefined {
    // Model first: of the two, it is the one that differs between the followers of a controller.
    const cached = this.#ids;
    if (cached !== undefined && id.modelUUID === this.#model && id.kind === this.#kind) return cached;
    const ids = this.#kinds.get(id.kind)?.get(id.modelUUID);
    if (ids !== undefined) this.#remember(id, ids);
    return ids;
  }

  #remember(id: EntityId, ids: Map<string, V>): void {
    this.#kind = id.kind;
    this.#model = id.modelUUID;
    this.#ids = ids;
  }

  #forget(): void {
    this.#kind = undefined;
    this.#model = undefined;
    this.#ids = undefined;
  }
}
