// A watcher's place in one generation's store, and the index of cursors waiting for deltas by
// model, so a change wakes only the watchers that can see it (spec §4.5, fix 5).
import type { Delta } from '../core/index.js';

/** What a generation tells the watcher behind a cursor. */
export interface CursorSink {
  /** Resolves the oldest pending next(); returns true when another next() is still pending. */
  deliver(deltas: Delta[], revision: number, reset: boolean): boolean;
  /** Fails the watcher: `once` → the error once, then "watcher was stopped"; else always. */
  fail(err: Error, once: boolean): void;
}

/** Position and scope of one watcher in one store. Only its generation mutates it. */
export class Cursor {
  /** Model UUID, or undefined for the controller (every model). */
  readonly scope: string | undefined;
  readonly filter: ((d: Delta) => boolean) | undefined;
  readonly sink: CursorSink;
  /** Deliver the store's shared, read-only delta objects instead of copies (sharedChangesSince). */
  shared = false;
  /** Resume request, until bound to the store (§4.7). */
  since: number | undefined;
  /** Store revno of the last answer (or the resume position); 0 before the first. */
  position = 0;
  /** True once the cursor holds references at `position` in the store. */
  bound = false;
  /** True once a first batch was delivered: later batches wait for a delta. */
  answered = false;
  /** True when the resume position was unknown and the first batch is a full snapshot. */
  reset = false;

  constructor(scope: string | undefined, filter: ((d: Delta) => boolean) | undefined, since: number | undefined, sink: CursorSink) {
    this.scope = scope;
    this.filter = filter;
    this.since = since;
    this.sink = sink;
  }
}

/** Cursors with a pending next() and nothing to deliver yet: by model, and controller ones apart. */
export class WaitingIndex {
  #controller = new Set<Cursor>();
  readonly #byModel = new Map<string, Set<Cursor>>();

  add(c: Cursor): void {
    if (c.scope === undefined) {
      this.#controller.add(c);
      return;
    }
    let set = this.#byModel.get(c.scope);
    if (set === undefined) {
      set = new Set();
      this.#byModel.set(c.scope, set);
    }
    set.add(c);
  }

  delete(c: Cursor): void {
    if (c.scope === undefined) {
      this.#controller.delete(c);
      return;
    }
    const set = this.#byModel.get(c.scope);
    if (set?.delete(c) === true && set.size === 0) this.#byModel.delete(c.scope);
  }

  /**
   * Removes and returns the cursors a change to these models may satisfy: the models' own and every
   * controller cursor. Taken out first, so cursors that wait again go into fresh sets.
   */
  take(models: ReadonlySet<string>): Cursor[] {
    const out: Cursor[] = [];
    if (models.size === 0) return out;
    for (const m of models) {
      const set = this.#byModel.get(m);
      if (set === undefined) continue;
      this.#byModel.delete(m);
      for (const c of set) out.push(c);
    }
    if (this.#controller.size > 0) {
      for (const c of this.#controller) out.push(c);
      this.#controller = new Set();
    }
    return out;
  }
}
