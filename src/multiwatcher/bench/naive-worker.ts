// Reference implementation of upstream's design for the benchmark: one store, one queue, and after
// every change every blocked watcher re-evaluated with a store-wide changesSince filtered to its
// model (Juju's worker/multiwatcher wakes every watcher on every change). Not for production.
import type { AllWatcherBacking, BackingChange, Delta } from '../../core/index.js';
import { deferred } from '../../core/index.js';
import type { Deferred } from '../../core/index.js';
import { MultiwatcherStore } from '../store.js';

/** A watcher of the naive worker. */
export class NaiveWatcher {
  readonly modelUUID: string;
  position = 0;
  answered = false;
  pending: Deferred<Delta[]> | undefined;
  readonly #worker: NaiveWorker;

  constructor(worker: NaiveWorker, modelUUID: string) {
    this.#worker = worker;
    this.modelUUID = modelUUID;
  }

  next(): Promise<Delta[]> {
    const d = deferred<Delta[]>();
    this.pending = d;
    this.#worker.request(this);
    return d.promise;
  }
}

/** Wake-every-watcher multiwatcher. */
export class NaiveWorker {
  readonly #backing: AllWatcherBacking;
  readonly #store = new MultiwatcherStore();
  readonly #queue: BackingChange[] = [];
  readonly #blocked = new Set<NaiveWatcher>();
  #ready = false;
  #busy = false;
  #stopped = false;
  #wake: Deferred<void> | undefined;

  constructor(backing: AllWatcherBacking) {
    this.#backing = backing;
    void this.#run();
  }

  get queueSize(): number {
    return this.#queue.length;
  }

  watchModel(modelUUID: string): NaiveWatcher {
    return new NaiveWatcher(this, modelUUID);
  }

  request(w: NaiveWatcher): void {
    this.#blocked.add(w);
    if (this.#ready && !this.#busy) this.#answer(w);
  }

  stop(): void {
    this.#stopped = true;
    this.#wake?.resolve();
  }

  async #run(): Promise<void> {
    const listener = (c: BackingChange): void => {
      this.#queue.push(c);
      this.#wake?.resolve();
    };
    this.#backing.watch(listener);
    this.#busy = true;
    await this.#backing.getAll(this.#store);
    this.#busy = false;
    this.#ready = true;
    for (const w of [...this.#blocked]) this.#answer(w);
    while (!this.#stopped) {
      const change = this.#queue.shift();
      if (change === undefined) {
        this.#wake = deferred();
        await this.#wake.promise;
        continue;
      }
      this.#busy = true;
      await this.#backing.changed(this.#store, change);
      this.#busy = false;
      for (const w of [...this.#blocked]) this.#answer(w); // every watcher, every change
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.#backing.unwatch(listener);
  }

  #answer(w: NaiveWatcher): void {
    if (!w.answered) {
      // Setup shortcut, not measured: upstream's first answer filtered the whole store per watcher,
      // which would make 10,000 watchers take minutes to start.
      const first = this.#store.changesSince(0, w.modelUUID);
      this.#store.addReference(0, w.modelUUID);
      w.position = first.latestRevno;
      w.answered = true;
      this.#blocked.delete(w);
      w.pending?.resolve(first.deltas);
      w.pending = undefined;
      return;
    }
    const { deltas, latestRevno } = this.#store.changesSince(w.position);
    const mine = deltas.filter((d) => d.entity.modelUUID === w.modelUUID);
    if (w.answered && deltas.length === 0) return;
    this.#store.addReference(w.position);
    w.position = latestRevno;
    if (w.answered && mine.length === 0) return;
    w.answered = true;
    this.#blocked.delete(w);
    const p = w.pending;
    w.pending = undefined;
    p?.resolve(mine);
  }
}
