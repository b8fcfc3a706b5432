// The multiwatcher worker (spec §5): runs generations of store + queue fed by the backing, hands out
// watchers, restarts with a fresh store on backing errors, reports and exports metrics.
import type { Clock, Logger, Random, Reporter, Worker } from '../core/index.js';
import { asError, deferred, errorMessage, systemRandom } from '../core/index.js';
import type { MultiwatcherConfig, WatchOptions } from './config.js';
import { validateConfig, validateWatch } from './config.js';
import { SHARED_STATE_STOPPED, WatcherStoppedError } from './errors.js';
import { Generation } from './generation.js';
import { DEFAULT_RESTART_DELAY_MS, DEFAULT_RETAIN_REVISIONS, MAX_REPORTED_ERRORS, MAX_REVISION_CHECKPOINTS } from './limits.js';
import { MultiwatcherMetrics } from './metrics.js';
import { EPOCH_LIMIT } from './revision-map.js';
import type { Watcher } from './watcher.js';
import { MultiwatcherWatcher } from './watcher.js';

/**
 * Keeps one in-memory copy of every entity the backing exposes and serves watchers of one model or
 * of the whole controller from it. Starts at construction.
 * @throws NotValidError "missing Clock not valid" / "missing Logger not valid" / "missing Backing not valid".
 */
export class MultiwatcherWorker implements Worker, Reporter {
  readonly #config: MultiwatcherConfig;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #random: Random;
  readonly #metrics: MultiwatcherMetrics;
  readonly #done = deferred<void>();
  /** The generation serving watchers; replaced (before it starts) on each restart. */
  #generation: Generation;
  #lastEpoch = 0;
  #restartCount = 0;
  readonly #errors: string[] = [];
  #killed = false;
  /** Ends a pending restart delay early (on kill). */
  #endRestartDelay: (() => void) | undefined;
  /** Set when the worker died of an error it cannot restart from. */
  #death: Error | undefined;

  constructor(config: MultiwatcherConfig) {
    validateConfig(config);
    this.#config = config;
    this.#clock = config.clock;
    this.#logger = config.logger;
    this.#random = config.random ?? systemRandom;
    this.#metrics = new MultiwatcherMetrics(config.registry, () => this.report());
    this.#generation = this.#newGeneration();
    void this.#run();
  }

  /** Watches one model's entities. @throws NotValidError for a malformed UUID or options. */
  watchModel(modelUUID: string, opts?: WatchOptions): Watcher {
    validateWatch(modelUUID, opts);
    return this.#watch(modelUUID, opts);
  }

  /** Watches every model's entities. @throws NotValidError for malformed options. */
  watchController(opts?: WatchOptions): Watcher {
    validateWatch(undefined, opts);
    return this.#watch(undefined, opts);
  }

  /**
   * watchModel / watchController whose batches hold the store's own delta objects, shared by every
   * watcher that receives the same change ([ours], for the RPC layer, which only encodes them, so it
   * can encode each change once). Read-only: a caller that mutates them corrupts other watchers.
   */
  watchShared(modelUUID: string | undefined, opts?: WatchOptions): Watcher {
    validateWatch(modelUUID, opts);
    return this.#watch(modelUUID, opts, true);
  }

  /** Spec §5.5 keys; `queue-age` in seconds. */
  report(): Record<string, unknown> {
    const g = this.#generation;
    const out: Record<string, unknown> = {
      'num-watchers': g.cursorCount,
      'store-size': g.store.size(),
      'restart-count': this.#restartCount,
      'queue-size': g.queue.size,
      'queue-age': g.queue.ageSeconds(),
    };
    if (this.#errors.length > 0) out.errors = [...this.#errors];
    return out;
  }

  kill(): void {
    if (this.#killed) return;
    this.#killed = true;
    this.#generation.failAll(new WatcherStoppedError(SHARED_STATE_STOPPED), false);
    this.#generation.stop();
    this.#endRestartDelay?.();
  }

  wait(): Promise<void> {
    return this.#done.promise;
  }

  #watch(scope: string | undefined, opts: WatchOptions | undefined, shared = false): Watcher {
    const watcher = new MultiwatcherWatcher(opts?.since);
    if (this.#death !== undefined || this.#killed) {
      watcher.fail(this.#death ?? new WatcherStoppedError(SHARED_STATE_STOPPED), false);
      return watcher;
    }
    const g = this.#generation;
    const cursor = g.attach(scope, opts?.filter, opts?.since, watcher, shared);
    watcher.connect(g, cursor);
    const signal = opts?.signal;
    if (signal !== undefined) {
      if (signal.aborted) void watcher.stop();
      else {
        const onAbort = (): void => void watcher.stop();
        signal.addEventListener('abort', onAbort, { once: true });
        watcher.onEnd(() => signal.removeEventListener('abort', onAbort));
      }
    }
    return watcher;
  }

  /** Read through a method: the flag changes across awaits, which narrowing cannot see. */
  #isKilled(): boolean {
    return this.#killed;
  }

  #newGeneration(): Generation {
    let epoch = 1 + Math.floor(this.#random() * (EPOCH_LIMIT - 1));
    if (epoch === this.#lastEpoch) epoch = (epoch % (EPOCH_LIMIT - 1)) + 1;
    this.#lastEpoch = epoch;
    return new Generation({
      backing: this.#config.backing,
      clock: this.#clock,
      logger: this.#logger,
      retainRevisions: this.#config.retainRevisions ?? DEFAULT_RETAIN_REVISIONS,
      maxCheckpoints: MAX_REVISION_CHECKPOINTS,
      epoch,
      observer: this.#metrics,
    });
  }

  async #run(): Promise<void> {
    try {
      this.#metrics.register();
    } catch (err) {
      this.#die(asError(err));
      return;
    }
    while (!this.#killed) {
      try {
        await this.#generation.run();
      } catch (err) {
        if (this.#isKilled()) break;
        this.#restart(asError(err));
        await this.#restartDelay();
      }
    }
    await this.#shutdown();
    this.#done.resolve();
  }

  /** The reset button (§4.6): every watcher gets the error once; a fresh store starts later. */
  #restart(err: Error): void {
    this.#logger.error('multiwatcher backing failed; restarting with a fresh store', { err: errorMessage(err) });
    this.#errors.push(errorMessage(err));
    if (this.#errors.length > MAX_REPORTED_ERRORS) this.#errors.shift();
    this.#restartCount++;
    const old = this.#generation;
    this.#generation = this.#newGeneration(); // watchers created from now on see the reloaded state
    old.failAll(err, true);
  }

  /** A later task, never synchronous recursion; optionally a clock delay that kill() cuts short. */
  #restartDelay(): Promise<void> {
    const ms = this.#config.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS;
    if (ms <= 0) return new Promise((resolve) => setImmediate(resolve));
    return new Promise((resolve) => {
      const done = (): void => {
        timer.cancel();
        this.#endRestartDelay = undefined;
        resolve();
      };
      const timer = this.#clock.setTimeout(done, ms);
      this.#endRestartDelay = done;
    });
  }

  async #shutdown(): Promise<void> {
    const { backing, cleanup } = this.#config;
    try {
      await backing.release?.();
    } catch (err) {
      this.#logger.error('multiwatcher backing release failed', { err: errorMessage(err) });
    }
    try {
      cleanup?.();
    } catch (err) {
      this.#logger.error('multiwatcher cleanup failed', { err: errorMessage(err) });
    }
    this.#metrics.unregister();
  }

  #die(err: Error): void {
    this.#death = err;
    this.#logger.error('multiwatcher worker died', { err: errorMessage(err) });
    this.#generation.failAll(err, false);
    this.#generation.stop();
    void this.#shutdown().then(() => this.#done.reject(err));
  }
}
