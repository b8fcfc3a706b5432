// The in-process doorbell of a single-controller store (memory, SQLite): a ring reaches every
// listener on a later microtask, and one failing listener never keeps the bell from the others.
import type { RingListener } from './store.js';

/** See the file comment. PostgreSQL uses NOTIFY instead (state/presence). */
export class LocalDoorbell {
  readonly #listeners = new Set<RingListener>();

  /** Rings for `modelUUID`; listeners run asynchronously, never inside this call. */
  ring(modelUUID: string): void {
    queueMicrotask(() => {
      for (const l of [...this.#listeners]) {
        try {
          l(modelUUID);
        } catch {
          // A failing listener must not keep the bell from the others.
        }
      }
    });
  }

  /** Adds a listener; returns its unsubscribe function. */
  onRing(listener: RingListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
