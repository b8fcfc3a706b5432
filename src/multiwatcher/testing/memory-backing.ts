// An in-memory AllWatcherBacking for tests of the multiwatcher and of its consumers: a map of
// entities with a commit revision, listeners called synchronously per change, and hooks to fail or
// hold getAll/changed so tests can stand inside a backing call.
import type { AllWatcherBacking, BackingChange, BackingStore, EntityId, EntityInfo } from '../../core/index.js';
import { cloneInfo, deferred, entityIdOf, entityKey } from '../../core/index.js';
import type { Deferred } from '../../core/index.js';

/** Options of a MemoryBacking. */
export interface MemoryBackingOptions {
  /** Report database revisions (getAll's result, `rev` on changes). Default true. */
  revisions?: boolean;
  /** Entities present from the start, committed together as revision 1 (revision 0 is the empty state). */
  initial?: readonly EntityInfo[];
}

/** The writes of one commit. */
export interface MemoryTransaction {
  update(info: EntityInfo): void;
  remove(id: EntityId): void;
}

/** A scripted backing: write with update/remove/commit; fail or hold its calls from the test. */
export class MemoryBacking implements AllWatcherBacking {
  readonly #revisions: boolean;
  readonly #entities = new Map<string, EntityInfo>();
  readonly #listeners = new Set<(change: BackingChange) => void>();
  #revision = 0;
  #failGetAll: Error[] = [];
  #failChanged: Error[] = [];
  #gate: Deferred<void> | undefined;
  /** Calls made so far. */
  readonly calls = { getAll: 0, changed: 0, release: 0, watch: 0, unwatch: 0 };

  constructor(options: MemoryBackingOptions = {}) {
    this.#revisions = options.revisions ?? true;
    for (const info of options.initial ?? []) this.#entities.set(entityKey(info), cloneInfo(info));
    if (this.#entities.size > 0) this.#revision = 1;
  }

  /** Revision of the last commit (0 before any). */
  get revision(): number {
    return this.#revision;
  }

  /** Listeners installed and not removed. */
  get listenerCount(): number {
    return this.#listeners.size;
  }

  /** Current entities (copies). */
  entities(): EntityInfo[] {
    return [...this.#entities.values()].map(cloneInfo);
  }

  /** Commits one update. */
  update(info: EntityInfo): void {
    this.commit((tx) => tx.update(info));
  }

  /** Commits one removal (of a present or absent entity: the listener is told either way). */
  remove(id: EntityId): void {
    this.commit((tx) => tx.remove(id));
  }

  /** Commits several writes at one revision; listeners hear of each, synchronously, after the commit. */
  commit(fn: (tx: MemoryTransaction) => void): void {
    const touched: EntityId[] = [];
    fn({
      update: (info) => {
        this.#entities.set(entityKey(info), cloneInfo(info));
        touched.push(entityIdOf(info));
      },
      remove: (id) => {
        this.#entities.delete(entityKey(id));
        touched.push(entityIdOf(id));
      },
    });
    const rev = ++this.#revision;
    for (const id of touched) this.emit(this.#revisions ? { ...id, rev } : { ...id });
  }

  /** Calls the listeners with a raw change (e.g. a duplicate, or one for an unchanged entity). */
  emit(change: BackingChange): void {
    for (const l of [...this.#listeners]) l(change);
  }

  /** The next getAll rejects with err (queue several for several calls). */
  failNextGetAll(err: Error): void {
    this.#failGetAll.push(err);
  }

  /** The next changed rejects with err (after applying nothing). */
  failNextChanged(err: Error): void {
    this.#failChanged.push(err);
  }

  /** Holds getAll/changed calls (before they touch the store) until the returned function is called. */
  hold(): () => void {
    const gate = (this.#gate ??= deferred<void>());
    return () => {
      if (this.#gate === gate) this.#gate = undefined;
      gate.resolve();
    };
  }

  async getAll(store: BackingStore): Promise<number | void> {
    this.calls.getAll++;
    await this.#passGate();
    const err = this.#failGetAll.shift();
    if (err !== undefined) throw err;
    for (const info of this.#entities.values()) store.update(info);
    return this.#revisions ? this.#revision : undefined;
  }

  async changed(store: BackingStore, change: BackingChange): Promise<void> {
    this.calls.changed++;
    await this.#passGate();
    const err = this.#failChanged.shift();
    if (err !== undefined) throw err;
    const info = this.#entities.get(entityKey(change));
    if (info === undefined) store.remove(entityIdOf(change));
    else store.update(info);
  }

  watch(listener: (change: BackingChange) => void): void {
    this.calls.watch++;
    this.#listeners.add(listener);
  }

  unwatch(listener: (change: BackingChange) => void): void {
    this.calls.unwatch++;
    this.#listeners.delete(listener);
  }

  release(): Promise<void> {
    this.calls.release++;
    return Promise.resolve();
  }

  async #passGate(): Promise<void> {
    const gate = this.#gate;
    if (gate !== undefined) await gate.promise;
  }
}
