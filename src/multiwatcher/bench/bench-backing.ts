// A synthetic backing for the benchmark: entities spread over models, changed() applies at once
// and stamps the entity with performance.now() just before store.update, so consumers can measure
// store.update → next() latency. Benchmarks only (real time is allowed here).
import { performance } from 'node:perf_hooks';
import type { AllWatcherBacking, BackingChange, BackingStore, EntityInfo } from '../../core/index.js';

/** A UUID for model i (valid lower-case form). */
export function modelUUID(i: number): string {
  const hex = i.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex}`;
}

/** An in-memory backing with `models × entitiesPerModel` units. */
export class BenchBacking implements AllWatcherBacking {
  readonly models: readonly string[];
  readonly entitiesPerModel: number;
  #listener: ((c: BackingChange) => void) | undefined;
  #version = 0;
  #rev = 1;
  /** Calls to changed() so far. */
  changedCount = 0;

  constructor(models: number, entitiesPerModel: number) {
    this.models = Array.from({ length: models }, (_, i) => modelUUID(i));
    this.entitiesPerModel = entitiesPerModel;
  }

  getAll(store: BackingStore): Promise<number> {
    for (const m of this.models) {
      for (let e = 0; e < this.entitiesPerModel; e++) store.update(this.#info(m, e, 0));
    }
    return Promise.resolve(this.#rev);
  }

  changed(store: BackingStore, change: BackingChange): Promise<void> {
    this.changedCount++;
    const e = Number(change.id.slice(2));
    store.update(this.#info(change.modelUUID, e, ++this.#version));
    return Promise.resolve();
  }

  watch(listener: (c: BackingChange) => void): void {
    this.#listener = listener;
  }

  unwatch(): void {
    this.#listener = undefined;
  }

  /** Emits a change of entity e of model m (one commit). */
  emit(m: number, e: number): void {
    this.#listener?.({ kind: 'unit', modelUUID: this.models[m] ?? '', id: `u/${e}`, rev: ++this.#rev });
  }

  #info(modelUUID: string, e: number, v: number): EntityInfo {
    return { kind: 'unit', modelUUID, id: `u/${e}`, data: { 'machine-id': String(e), v, t: performance.now() } };
  }
}
