// In-process fan-out of commit rings to backings. Rings are synchronous and never await a
// listener (STYLE §5); a listener that throws is logged and does not stop the others.
import type { Logger } from '../core/index.js';
import { errorMessage } from '../core/index.js';
import type { Ring } from './driver.js';

export class Doorbell {
  readonly #logger: Logger;
  /** Subscribed backings; only subscribe/unsubscribe mutate it. */
  readonly #listeners = new Set<(ring: Ring) => void>();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  get size(): number {
    return this.#listeners.size;
  }

  subscribe(onRing: (ring: Ring) => void): () => void {
    // Wrapped so the same function may subscribe twice and unsubscribe each independently.
    const entry = (ring: Ring): void => onRing(ring);
    this.#listeners.add(entry);
    return () => this.#listeners.delete(entry);
  }

  ring(ring: Ring): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(ring);
      } catch (err) {
        this.#logger.error('state doorbell listener failed', { error: errorMessage(err) });
      }
    }
  }
}
