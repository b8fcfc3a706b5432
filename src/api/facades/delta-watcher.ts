// An AllWatcher / AllModelWatcher behind an RPC id (spec/protocol.md §5, §6.1): Next results carry
// `revision` always and `reset: true` on the first batch of a watcher that starts from full state.
import type { Delta, WireDelta } from '../../core/index.js';
import type { Watcher } from '../../multiwatcher/index.js';
import type { MethodResult } from '../rpc/envelope.js';
import { encodeNextResult, wireDelta } from './delta-encoding.js';
import type { RpcWatcher } from './watcher-table.js';

/** See the file comment. `Next` calls are run one after another, in arrival order. */
export class DeltaWatcher implements RpcWatcher {
  readonly #watcher: Watcher;
  /** True when the first batch is a full snapshot (no since-revision, or resync required). */
  readonly #firstIsReset: boolean;
  /** The first batch, already taken at WatchAll time to learn whether resume was possible. */
  #prefetched: Delta[] | undefined;
  #first = true;
  /** A Next call is running; later ones wait in #queued and start, in order, as it settles (so revision() is its own). */
  #busy = false;
  readonly #queued: Array<() => void> = [];

  private constructor(watcher: Watcher, firstIsReset: boolean, prefetched: Delta[] | undefined) {
    this.#watcher = watcher;
    this.#firstIsReset = firstIsReset;
    this.#prefetched = prefetched;
  }

  /**
   * Wraps a fresh watcher. With `since`, takes the first batch now (it is answered at once) to learn
   * whether the watcher resumed or needs a resync; the batch is kept for the first Next.
   * @throws what the first next() threw (the watcher is then stopped).
   */
  static async open(watcher: Watcher, since: number | undefined): Promise<DeltaWatcher> {
    if (since === undefined) return new DeltaWatcher(watcher, true, undefined);
    try {
      const first = await watcher.next();
      return new DeltaWatcher(watcher, watcher.wasReset(), first);
    } catch (err) {
      await watcher.stop();
      throw err;
    }
  }

  /** True when `since-revision` could not be resumed from (WatchAll answers `resync-required`). */
  get resyncRequired(): boolean {
    return this.#prefetched !== undefined && this.#firstIsReset;
  }

  next(): Promise<MethodResult> {
    // The usual case, one Next at a time (a client waits for each answer), costs no extra promise.
    if (!this.#busy) {
      this.#busy = true;
      return this.#next();
    }
    return new Promise<void>((start) => this.#queued.push(start)).then(() => this.#next());
  }

  stop(): Promise<void> {
    this.#prefetched = undefined;
    return this.#watcher.stop();
  }

  /** Runs with #busy set; hands the turn to the oldest queued call (or clears #busy) as it settles. */
  async #next(): Promise<MethodResult> {
    try {
      const first = this.#first;
      this.#first = false;
      // stop() drops the prefetched batch, so a stopped watcher rejects here as usual.
      const prefetched = first ? this.#prefetched : undefined;
      this.#prefetched = undefined;
      const deltas = prefetched ?? (await this.#watcher.next());
      return encodeNextResult(this.#watcher.revision(), deltas, first && this.#firstIsReset);
    } finally {
      const start = this.#queued.shift();
      if (start === undefined) this.#busy = false;
      else start(); // #busy stays set for it
    }
  }
}

/** Encodes a batch of (unshared) deltas as wire deltas; see wireDelta. */
export function encodeBatch(deltas: readonly Delta[]): WireDelta[] {
  return deltas.map(wireDelta);
}
