// Push-style delivery of a source's hooks (spec §6.2): one hook in flight, popped only once `out`
// resolved; dies on a broken change stream or a failed hook; stop() never waits for `out`.
import { NotValidError, asError, isRegistry } from '../core/index.js';
import type { Reporter, Worker } from '../core/index.js';
import { ChangeFeed, Wake } from './change-feed.js';
import type { HookInfo } from './hook.js';
import type { HookSource } from './hook-source.js';
import { hookMetricsFor } from './hook-metrics.js';
import type { HookMetrics } from './hook-metrics.js';
import { OwnedLoop } from './owned-loop.js';
import type { Registry } from 'prom-client';

/** Options of newHookSender (an extension of the spec's two-argument form). */
export interface HookSenderOptions {
  /** Where the sender's metrics go (hooks delivered by kind, deaths, running senders by state). */
  registry?: Registry;
}

/** Delivers a source's hooks until stopped. */
export interface HookSender {
  /**
   * Idempotent. Ends the loop (an in-flight `out` is not awaited, its outcome ignored, nothing
   * popped), stops the source once. Rejects with the error the loop died of, else the source's
   * stop error.
   */
  stop(): Promise<void>;
}

/** The sender as a Worker: `wait()` also reports a death nobody asked for. */
export interface HookSenderWorker extends HookSender, Worker, Reporter {}

type Delivery = { state: 'pending' } | { state: 'done' } | { state: 'failed'; error: Error };

class Sender implements HookSenderWorker {
  readonly #out: (hook: HookInfo) => Promise<void>;
  /** Owned: only the loop calls update/next/pop, and only the loop's end stops it. */
  readonly #source: HookSource;
  readonly #wake = new Wake();
  readonly #feed: ChangeFeed;
  #stopping = false;
  readonly #end = new OwnedLoop();
  #inFlight: HookInfo | undefined;
  #deliveredCount = 0;
  readonly #metrics: HookMetrics | undefined;

  constructor(out: (hook: HookInfo) => Promise<void>, source: HookSource, registry: Registry | undefined) {
    this.#out = out;
    this.#source = source;
    this.#feed = new ChangeFeed(source.changes(), this.#wake);
    const metrics = registry === undefined ? undefined : hookMetricsFor(registry, () => (this.#inFlight === undefined ? 'waiting' : 'delivering'));
    this.#metrics = metrics;
    const running = this.#end.run(() => this.#loop(), () => { this.#inFlight = undefined; }, this.#feed, source);
    // A death is the loop's (a failed hook, a broken stream), not a source that failed to stop after a clean stop.
    if (metrics !== undefined) void running.then(() => metrics.ended(this.#end.died));
  }

  async #loop(): Promise<void> {
    const stopping = (): boolean => this.#stopping;
    this.#feed.request();
    for (;;) {
      if (this.#stopping) return;
      if (!(await this.#feed.applyArrived((change) => this.#source.update(change), stopping))) return;
      if (this.#source.empty()) {
        await this.#wake.wait(); // a change arrives, or stop
        continue;
      }
      const hook = this.#source.next();
      if (!(await this.#deliver(hook))) return;
      this.#source.pop();
      this.#deliveredCount++;
      this.#metrics?.delivered(hook.kind);
    }
  }

  /** Hands `hook` to `out`; true once it resolved, false when stopped first. @throws out's error. */
  async #deliver(hook: HookInfo): Promise<boolean> {
    const delivery: { current: Delivery } = { current: { state: 'pending' } };
    this.#inFlight = hook;
    let running: Promise<void>;
    try {
      running = Promise.resolve(this.#out(hook));
    } catch (err) {
      running = Promise.reject(asError(err));
    }
    running.then(
        () => { delivery.current = { state: 'done' }; this.#wake.signal(); },
        (err: unknown) => { delivery.current = { state: 'failed', error: asError(err) }; this.#wake.signal(); },
      );
    // The outcome arrives through the wake; changes arriving meanwhile only wake us spuriously.
    while (delivery.current.state === 'pending' && !this.#stopping) await this.#wake.wait();
    this.#inFlight = undefined;
    const outcome = delivery.current;
    if (this.#stopping) return false;
    if (outcome.state === 'failed') throw outcome.error;
    return true;
  }

  stop(): Promise<void> {
    this.kill();
    return this.wait();
  }

  kill(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#wake.signal();
  }

  wait(): Promise<void> {
    return this.#end.wait();
  }

  report(): Record<string, unknown> {
    const state = this.#end.finished ? (this.#end.died ? 'dead' : 'stopped') : this.#inFlight === undefined ? 'waiting' : 'delivering';
    return { state, 'delivered-hooks': this.#deliveredCount, 'in-flight': this.#inFlight === undefined ? null : { ...this.#inFlight } };
  }
}

/**
 * Starts delivering `source`'s hooks to `out` at once and takes ownership of the source. A hook is
 * popped only after `out(hook)` resolved; while `out` is pending no change is applied. Exhaustion
 * does not stop it: it idles until `stop()`.
 * @throws NotValidError for a missing out function or source.
 */
export function newHookSender(out: (hook: HookInfo) => Promise<void>, source: HookSource, opts: HookSenderOptions = {}): HookSenderWorker {
  if (typeof out !== 'function') throw new NotValidError('missing out function not valid');
  if (typeof (source as Partial<HookSource> | undefined)?.changes !== 'function') throw new NotValidError('missing HookSource not valid');
  const o: unknown = opts;
  if (o === null || typeof o !== 'object') throw new NotValidError('options not valid: must be an object');
  if (opts.registry !== undefined && !isRegistry(opts.registry)) throw new NotValidError('registry not valid: must be a prom-client Registry');
  return new Sender(out, source, opts.registry);
}
