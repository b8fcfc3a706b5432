// A supervisor in the spirit of Juju's catacomb: runs one loop, owns child workers, and dies as one.
// A child's error kills the catacomb; killing the catacomb kills every child; wait() reports the
// first error. The loop must watch `signal` (or `dying()`) and return once it fires; kill() may come
// before the loop's first step, so check `signal.aborted` before listening for 'abort'.
import { asError, deferred } from '../core/index.js';
import type { Worker } from '../core/index.js';

/** What a catacomb runs. */
export interface CatacombPlan {
  /** The loop. Its rejection kills the catacomb with that error; its return kills it cleanly. */
  work(catacomb: Catacomb): Promise<void>;
  /** Workers owned from the start. */
  init?: readonly Worker[];
}

/** The supervisor; see the file comment. Create with `Catacomb.invoke`. */
export class Catacomb implements Worker {
  readonly #abort = new AbortController();
  readonly #done = deferred<void>();
  /** Live children; a child leaves when its wait() settles. */
  readonly #children = new Set<Worker>();
  /** The first error the catacomb was killed with; undefined for a clean stop or while alive. */
  #err: Error | undefined;
  #workDone = false;

  private constructor() {}

  /** Starts `plan.work` (on a later microtask) and owns `plan.init`. */
  static invoke(plan: CatacombPlan): Catacomb {
    const c = new Catacomb();
    for (const w of plan.init ?? []) c.add(w);
    queueMicrotask(() => {
      let running: Promise<void>;
      try {
        running = plan.work(c);
      } catch (err) {
        running = Promise.reject(asError(err));
      }
      running.then(
        () => c.#onWorkDone(undefined),
        (err: unknown) => c.#onWorkDone(asError(err)),
      );
    });
    return c;
  }

  /** Aborted once the catacomb is dying; its reason is the kill error, if any. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Resolves once the catacomb is dying. */
  dying(): Promise<void> {
    const s = this.#abort.signal;
    if (s.aborted) return Promise.resolve();
    return new Promise((resolve) => s.addEventListener('abort', () => resolve(), { once: true }));
  }

  /** True once kill() was called or a child or the loop failed. */
  isDying(): boolean {
    return this.#abort.signal.aborted;
  }

  /** The error the catacomb is dying of (undefined while alive or for a clean stop). */
  err(): Error | undefined {
    return this.#err;
  }

  /**
   * Takes ownership of `w`: its error kills the catacomb, and it is killed when the catacomb dies.
   * Added while dying, it is killed at once (and still waited for).
   */
  add(w: Worker): void {
    if (this.#children.has(w)) return;
    this.#children.add(w);
    w.wait().then(
      () => this.#onChildDone(w, undefined),
      (err: unknown) => this.#onChildDone(w, asError(err)),
    );
    if (this.isDying()) w.kill();
  }

  /** Starts dying: kills every child; the first non-undefined error is the one reported. */
  kill(err?: Error): void {
    if (err !== undefined && this.#err === undefined) this.#err = err;
    if (!this.#abort.signal.aborted) {
      this.#abort.abort(this.#err);
      for (const c of this.#children) c.kill();
    }
    this.#maybeFinish();
  }

  /** Resolves after the loop returned and every child stopped; rejects with the first error. */
  wait(): Promise<void> {
    return this.#done.promise;
  }

  #onWorkDone(err: Error | undefined): void {
    this.#workDone = true;
    this.kill(err);
  }

  #onChildDone(w: Worker, err: Error | undefined): void {
    this.#children.delete(w);
    if (err !== undefined) this.kill(err);
    else this.#maybeFinish();
  }

  #maybeFinish(): void {
    if (!this.#workDone || this.#children.size > 0 || !this.isDying()) return;
    if (this.#err === undefined) this.#done.resolve();
    else this.#done.reject(this.#err);
  }
}

/** A worker running one loop until `signal` aborts: the loop's rejection is the worker's error. */
export function runWorker(loop: (signal: AbortSignal) => Promise<void>): Catacomb {
  return Catacomb.invoke({ work: (c) => loop(c.signal) });
}
