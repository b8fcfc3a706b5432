// Scripted stand-ins for follower tests and benchmarks: an EntitySource and a multiwatcher-like
// watcher driven by hand, which count pulls, returns and stops. Real watchers live in multiwatcher.
import type { Delta } from '../../core/index.js';
import type { DeltaSource } from '../from-watcher.js';
import type { EntitySource, WatchEvent } from '../watch-event.js';

type Scripted<T> = { kind: 'value'; value: T } | { kind: 'error'; error: unknown } | { kind: 'end' };

/** A FIFO of scripted outcomes served to one pending pull at a time. */
class Script<T> {
  readonly #queue: Array<Scripted<T>> = [];
  #waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;

  add(item: Scripted<T>): void {
    const w = this.#waiter;
    if (w === undefined) {
      this.#queue.push(item);
      return;
    }
    this.#waiter = undefined;
    settle(item, w.resolve, w.reject);
  }

  take(): Promise<IteratorResult<T>> {
    return new Promise((resolve, reject) => {
      const item = this.#queue.shift();
      if (item === undefined) this.#waiter = { resolve, reject };
      else settle(item, resolve, reject);
    });
  }

  get waiting(): boolean {
    return this.#waiter !== undefined;
  }

  /** Rejects (or ends) the pull in flight, as a source does when it is torn down. */
  interrupt(item: Scripted<T>): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    if (w !== undefined) settle(item, w.resolve, w.reject);
  }
}

function settle<T>(item: Scripted<T>, resolve: (r: IteratorResult<T>) => void, reject: (e: unknown) => void): void {
  if (item.kind === 'value') resolve({ done: false, value: item.value });
  else if (item.kind === 'error') reject(item.error);
  else resolve({ done: true, value: undefined });
}

/**
 * An EntitySource fed by push(); each iterator step takes the next scripted item. Counts what the
 * consumer did: `iterators` created, `pulls` made, `returns` received.
 */
export class ScriptedSource implements EntitySource {
  readonly #script = new Script<WatchEvent>();
  #returned = false;
  iterators = 0;
  pulls = 0;
  returns = 0;

  push(...events: WatchEvent[]): this {
    for (const value of events) this.#script.add({ kind: 'value', value });
    return this;
  }

  fail(error: unknown): this {
    this.#script.add({ kind: 'error', error });
    return this;
  }

  end(): this {
    this.#script.add({ kind: 'end' });
    return this;
  }

  /** True while a pull waits for a scripted item. */
  get waiting(): boolean {
    return this.#script.waiting;
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    this.iterators++;
    return {
      next: () => {
        this.pulls++;
        if (this.#returned) return Promise.resolve({ done: true, value: undefined });
        return this.#script.take();
      },
      return: () => {
        this.returns++;
        this.#returned = true;
        this.#script.interrupt({ kind: 'end' });
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }
}

/** The rejection of a stopped ScriptedWatcher, as the multiwatcher words it. */
export const WATCHER_WAS_STOPPED = 'watcher was stopped';

/**
 * A multiwatcher-like watcher fed by push(batch, { reset }). stop() rejects a pending next() with
 * "watcher was stopped", as a multiwatcher Watcher does. Pass `resettable: false` for a watcher
 * without wasReset().
 */
export class ScriptedWatcher implements DeltaSource {
  readonly #script = new Script<{ batch: Delta[]; reset: boolean }>();
  #reset = false;
  #stopped = false;
  nexts = 0;
  stops = 0;
  declare wasReset?: () => boolean;

  constructor(opts: { resettable?: boolean } = {}) {
    if (opts.resettable !== false) this.wasReset = () => this.#reset;
  }

  push(batch: Delta[], opts: { reset?: boolean } = {}): this {
    this.#script.add({ kind: 'value', value: { batch, reset: opts.reset === true } });
    return this;
  }

  fail(error: unknown): this {
    this.#script.add({ kind: 'error', error });
    return this;
  }

  get waiting(): boolean {
    return this.#script.waiting;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  async next(): Promise<Delta[]> {
    this.nexts++;
    if (this.#stopped) throw new Error(WATCHER_WAS_STOPPED);
    const r = await this.#script.take();
    if (r.done === true) throw new Error(WATCHER_WAS_STOPPED);
    this.#reset = r.value.reset;
    return r.value.batch;
  }

  stop(): Promise<void> {
    this.stops++;
    if (!this.#stopped) {
      this.#stopped = true;
      this.#script.interrupt({ kind: 'error', error: new Error(WATCHER_WAS_STOPPED) });
    }
    return Promise.resolve();
  }
}

export type { RecordingFollower, RecordingOptions } from './recording-follower.js';
export { recordingFollower, info, entityId, show, M1, M2 } from './recording-follower.js';
