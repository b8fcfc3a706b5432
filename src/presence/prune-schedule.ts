// PruneSchedule: a worker that prunes every model the controller serves on a jittered schedule
// (the "pruner on a schedule" of spec §7), on top of the watchers' probabilistic prunes.
import type { Registry } from 'prom-client';
import { deferred, errorMessage, nullLogger, systemRandom } from '../core/index.js';
import type { Clock, Logger, Random, TimerHandle, Worker } from '../core/index.js';
import { DEFAULT_PRUNE_INTERVAL_MS, FLUSH_JITTER_HIGH, FLUSH_JITTER_LOW } from './limits.js';
import { Pruner } from './pruner.js';
import { skewSlots, validPeriod } from './slot.js';
import type { PresenceStore } from './store.js';
import { positiveMs, required } from './validate.js';

/** Configuration of a PruneSchedule; times in ms. */
export interface PruneScheduleConfig {
  store: PresenceStore;
  clock: Clock;
  /** The models to prune, asked at every run. */
  models: () => readonly string[] | Promise<readonly string[]>;
  /** Mean time between runs (default 10 min), jittered by ±20 % like the batcher's flushes. */
  interval?: number;
  period?: number;
  skewTolerance?: number;
  logger?: Logger;
  random?: Random;
  registry?: Registry;
}

/** See the file comment. Errors are logged per model; the schedule never dies of them. */
export class PruneSchedule implements Worker {
  readonly #cfg: PruneScheduleConfig;
  readonly #intervalMs: number;
  readonly #logger: Logger;
  readonly #random: Random;
  readonly #done = deferred<void>();
  #timer: TimerHandle | undefined;
  #running: Promise<void> | undefined;
  #dying = false;
  #stats = { runs: 0, errors: 0, lastRunAt: undefined as number | undefined };

  /** @throws NotValidError for a missing store, Clock or models, or a bad interval, period or skew tolerance. */
  constructor(cfg: PruneScheduleConfig) {
    required(cfg.store as PresenceStore | undefined, 'store');
    required(cfg.clock as Clock | undefined, 'Clock');
    required(cfg.models as PruneScheduleConfig['models'] | undefined, 'models');
    // Checked here, not only by each run's Pruner: there it would be a logged error on every run.
    skewSlots(cfg.skewTolerance, validPeriod(cfg.period));
    this.#intervalMs = positiveMs(cfg.interval, 'interval', DEFAULT_PRUNE_INTERVAL_MS);
    this.#logger = cfg.logger ?? nullLogger;
    this.#random = cfg.random ?? systemRandom;
    this.#cfg = cfg;
    this.#arm();
  }

  kill(): void {
    if (this.#dying) return;
    this.#dying = true;
    this.#timer?.cancel();
    void (this.#running ?? Promise.resolve()).then(() => this.#done.resolve());
  }

  wait(): Promise<void> {
    return this.#done.promise;
  }

  report(): Record<string, unknown> {
    return { runs: this.#stats.runs, errors: this.#stats.errors, 'last-run-at': this.#stats.lastRunAt, running: this.#running !== undefined };
  }

  #arm(): void {
    const jitter = FLUSH_JITTER_LOW + (FLUSH_JITTER_HIGH - FLUSH_JITTER_LOW) * this.#random();
    this.#timer = this.#cfg.clock.setTimeout(() => {
      this.#running = this.#run().finally(() => {
        this.#running = undefined;
        if (!this.#dying) this.#arm();
      });
    }, this.#intervalMs * jitter);
  }

  async #run(): Promise<void> {
    const c = this.#cfg;
    this.#stats.lastRunAt = c.clock.now();
    let models: readonly string[];
    try {
      models = await c.models();
    } catch (err) {
      this.#stats.errors++;
      this.#logger.error('cannot list models to prune', { err: errorMessage(err) });
      return;
    }
    for (const modelUUID of models) {
      if (this.#dying) return;
      try {
        await new Pruner({
          store: c.store, modelUUID, clock: c.clock,
          ...(c.period === undefined ? {} : { period: c.period }),
          ...(c.skewTolerance === undefined ? {} : { skewTolerance: c.skewTolerance }),
          ...(c.registry === undefined ? {} : { registry: c.registry }),
        }).prune();
      } catch (err) {
        this.#stats.errors++;
        this.#logger.error('scheduled presence prune failed', { 'model-uuid': modelUUID, err: errorMessage(err) });
      }
    }
    this.#stats.runs++;
  }
}
