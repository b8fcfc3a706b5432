// Bounds concurrent password verifications (scrypt costs memory and a thread each) and queues the
// rest in arrival order. A queued login re-checks the rate limiter when its turn comes, so a burst of
// guesses sent before the first failure landed is still cut off after `maxFailures`.
import { ModelwatchError } from '../../core/index.js';

/** A counting semaphore with a bounded FIFO queue. */
export class VerifyGate {
  readonly #maxConcurrent: number;
  readonly #maxQueued: number;
  #running = 0;
  /** Waiters in arrival order; each is resolved when a slot frees. */
  readonly #queue: Array<() => void> = [];

  constructor(maxConcurrent: number, maxQueued: number) {
    this.#maxConcurrent = Math.max(1, maxConcurrent);
    this.#maxQueued = maxQueued;
  }

  /**
   * Runs fn when a slot is free.
   * @throws ModelwatchError TryAgain "try again" when the queue is full.
   */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#maxConcurrent) {
      if (this.#queue.length >= this.#maxQueued) throw new ModelwatchError('TryAgain', 'try again');
      await new Promise<void>((resolve) => this.#queue.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await fn();
    } finally {
      const next = this.#queue.shift();
      // The slot passes straight to the next waiter, so #running stays counted.
      if (next === undefined) this.#running--;
      else next();
    }
  }

  get running(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#queue.length;
  }
}
