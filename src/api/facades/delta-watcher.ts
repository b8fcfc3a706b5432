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
  /** The previous Next call; the next one starts after it settles (so revision() is its own). */
  #chain: Promise<unknown> = Promise.resolve();

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
    const run = (): Promise<MethodResult> => this.#next();
    const p = this.#chain.then(run, run);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  stop(): Promise<void> {
    this.#prefetched = undefined;
    return this.#watcher.stop();
  }

  async #next(): Promise<MethodResult> {
    const first = this.#first;
    this.#first = false;
    // stop() drops the prefetched batch, so a stopped watcher rejects here as usual.
    const prefetched = first ? this.#prefetched : undefined;
    this.#prefetched = undefined;
    const deltas = prefetched ?? (await this.#watcher.next());
    return encodeNextResult(this.#watcher.revision(), deltas, first && this.#firstIsReset);
  }
}

/** Encodes a batch of (unshared) deltas as wire deltas; see wireDelta. */
export function encodeBatch(deltas: readonly Delta[]): WireDelta[] {
  return deltas.map(wireDelta);
}
