// The end of a loop that owns a HookSource (the sender's and the peeker's): the loop's error, then
// the feed closed and the source stopped once, whatever the loop ended with.
import { asError, deferred } from '../core/index.js';
import type { ChangeFeed } from './change-feed.js';
import type { HookSource } from './hook-source.js';

/** Runs an owning loop to its end and keeps how it ended. */
export class OwnedLoop {
  #loopError: Error | undefined;
  #stopError: Error | undefined;
  #finished = false;
  readonly #ended = deferred<void>();

  /**
   * Runs `loop` until it returns or throws, then `beforeStop`, closes `feed` and stops `source`.
   * Never rejects: both errors are kept for `wait()`.
   */
  async run(loop: () => Promise<void>, beforeStop: () => void, feed: ChangeFeed, source: HookSource): Promise<void> {
    try {
      await loop();
    } catch (err) {
      this.#loopError = asError(err);
    }
    beforeStop();
    feed.close();
    try {
      await source.stop();
    } catch (err) {
      this.#stopError = asError(err);
    }
    this.#finished = true;
    this.#ended.resolve();
  }

  /** The source has stopped. */
  get finished(): boolean {
    return this.#finished;
  }

  /** The loop ended with an error (not by being stopped). */
  get died(): boolean {
    return this.#loopError !== undefined;
  }

  /** Resolves once the source stopped; rejects with the loop's error, else the source's stop error. */
  async wait(): Promise<void> {
    await this.#ended.promise;
    if (this.#loopError !== undefined) throw this.#loopError;
    if (this.#stopError !== undefined) throw this.#stopError;
  }
}
