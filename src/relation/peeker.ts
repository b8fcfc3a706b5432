// Pull-style access to a source (spec §6.3): a consumer pulls a Peek of the head hook, then
// consumes (pops) or rejects it; while a peek is outstanding nothing else happens.
import { ModelwatchError, NotValidError, deferred } from '../core/index.js';
import type { Deferred } from '../core/index.js';
import { ChangeFeed, Wake } from './change-feed.js';
import type { HookInfo } from './hook.js';
import type { HookSource } from './hook-source.js';
import { OwnedLoop } from './owned-loop.js';

/** The head hook, offered to one consumer until it settles the peek. */
export interface Peek {
  /** `source.next()` at call time; stable while the peek is outstanding. */
  hookInfo(): HookInfo;
  /** Pops the hook and releases the loop. @throws when the peek was already settled. */
  consume(): void;
  /** Releases the loop without popping: the same hook is offered again. @throws when already settled. */
  reject(): void;
}

/** A view of a source's head for one consumer. */
export interface Peeker {
  /** One stream for one consumer; it ends when the peeker stops or dies. */
  peeks(): AsyncIterable<Peek>;
  /** Ends the loop and the stream, stops the source; rejects with the error the loop died of. */
  stop(): Promise<void>;
}

const DONE: IteratorResult<Peek> = { done: true, value: undefined };

class PeekerLoop implements Peeker {
  /** Owned: only the loop applies changes; only a Peek pops. */
  readonly #source: HookSource;
  readonly #wake = new Wake();
  readonly #feed: ChangeFeed;
  /** Pulls waiting for a peek, oldest first. */
  readonly #pulls: Deferred<IteratorResult<Peek>>[] = [];
  /** No more peeks: the peeker stopped or died, or the consumer returned. */
  #streamEnded = false;
  #stopping = false;
  /** The loop ended (stopped or died); peeks settle as no-ops from then on. */
  #over = false;
  readonly #end = new OwnedLoop();
  readonly #stream: AsyncIterable<Peek>;

  constructor(source: HookSource) {
    this.#source = source;
    this.#feed = new ChangeFeed(source.changes(), this.#wake);
    const iterator: AsyncIterator<Peek> = {
      next: () => this.#pull(),
      return: () => {
        this.#endStream();
        return Promise.resolve(DONE);
      },
    };
    this.#stream = { [Symbol.asyncIterator]: () => iterator };
    void this.#end.run(() => this.#loop(), () => { this.#over = true; this.#endStream(); }, this.#feed, source);
  }

  peeks(): AsyncIterable<Peek> {
    return this.#stream;
  }

  #pull(): Promise<IteratorResult<Peek>> {
    if (this.#streamEnded) return Promise.resolve(DONE);
    const pull = deferred<IteratorResult<Peek>>();
    this.#pulls.push(pull);
    this.#wake.signal();
    return pull.promise;
  }

  #endStream(): void {
    this.#streamEnded = true;
    for (const pull of this.#pulls.splice(0)) pull.resolve(DONE);
  }

  async #loop(): Promise<void> {
    const stopping = (): boolean => this.#stopping;
    this.#feed.request();
    for (;;) {
      if (this.#stopping) return;
      if (!(await this.#feed.applyArrived((change) => this.#source.update(change), stopping))) return;
      const pull = this.#pulls[0];
      if (pull === undefined || this.#source.empty()) {
        await this.#wake.wait(); // a change, a pull, or stop
        continue;
      }
      this.#pulls.shift();
      const peek = new OutstandingPeek(this.#source, this.#wake, () => this.#stopping || this.#over);
      pull.resolve({ done: false, value: peek });
      // Blocked: no change is applied and no peek offered until this one settles.
      while (!peek.isSettled() && !stopping()) await this.#wake.wait();
    }
  }

  stop(): Promise<void> {
    if (!this.#stopping) {
      this.#stopping = true;
      this.#wake.signal();
    }
    return this.#end.wait();
  }
}

class OutstandingPeek implements Peek {
  readonly #source: HookSource;
  readonly #wake: Wake;
  readonly #peekerStopped: () => boolean;
  /** Set once by consume or reject. */
  #settled = false;

  constructor(source: HookSource, wake: Wake, peekerStopped: () => boolean) {
    this.#source = source;
    this.#wake = wake;
    this.#peekerStopped = peekerStopped;
  }

  hookInfo(): HookInfo {
    return this.#source.next();
  }

  consume(): void {
    if (!this.#settle()) return;
    this.#source.pop();
    this.#wake.signal();
  }

  reject(): void {
    if (this.#settle()) this.#wake.signal();
  }

  /** False when the peeker stopped (nothing to do); throws on a second settlement. */
  #settle(): boolean {
    if (this.#peekerStopped()) return false;
    if (this.#settled) throw new ModelwatchError('NotValid', 'peek already consumed or rejected');
    this.#settled = true;
    return true;
  }

  isSettled(): boolean {
    return this.#settled;
  }
}

/**
 * Starts a peeker over `source` and takes ownership of it (upstream used it only in tests).
 * @throws NotValidError for a missing source.
 */
export function newPeeker(source: HookSource): Peeker {
  if (typeof (source as Partial<HookSource> | undefined)?.changes !== 'function') throw new NotValidError('missing HookSource not valid');
  return new PeekerLoop(source);
}
