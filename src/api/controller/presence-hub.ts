// The controller's presence (spec/presence.md §7): one PingBatcher, replaced 1 s after it dies and
// reached through `recorder()`, so agents' pingers pick up the replacement and a batcher restart never
// bounces the API server; shared per-model PresenceWatchers; a prune schedule over every model.
import type { Registry } from 'prom-client';
import { asError, deferred, errorMessage } from '../../core/index.js';
import type { Clock, Logger, Reporter, TimerHandle, Worker } from '../../core/index.js';
import { PingBatcher, PresenceWatchers, PruneSchedule } from '../../presence/index.js';
import type { PingRecorder, PresenceStore, PresenceWatcher } from '../../presence/index.js';
import type { PresenceServices } from '../services.js';

/** Configuration of a PresenceHub; times in ms. */
export interface PresenceHubConfig {
  store: PresenceStore;
  clock: Clock;
  logger: Logger;
  periodMs: number;
  /** Batcher flush interval F (controllers use 1 s). */
  flushIntervalMs: number;
  /** Model UUIDs to prune. */
  models: () => Promise<readonly string[]>;
  registry?: Registry;
}

/** Delay before a dead batcher is replaced (spec §7: a dead one is restarted after 1 s). */
const BATCHER_RESTART_MS = 1_000;

/** See the file comment. A Worker; `services()` is what the API uses. */
export class PresenceHub implements Worker, Reporter, PresenceServices {
  readonly #cfg: PresenceHubConfig;
  readonly #watchers: PresenceWatchers;
  readonly #pruner: PruneSchedule;
  /** The live batcher; replaced (never undefined) after a death. */
  #batcher: PingBatcher;
  #restartTimer: TimerHandle | undefined;
  #batcherRestarts = 0;
  #killed = false;
  readonly #done = deferred<void>();

  constructor(cfg: PresenceHubConfig) {
    this.#cfg = cfg;
    const common = { store: cfg.store, clock: cfg.clock, logger: cfg.logger, ...(cfg.registry ? { registry: cfg.registry } : {}) };
    this.#watchers = new PresenceWatchers({ ...common, period: cfg.periodMs });
    this.#pruner = new PruneSchedule({ ...common, period: cfg.periodMs, models: cfg.models });
    this.#batcher = this.#startBatcher();
  }

  get periodMs(): number {
    return this.#cfg.periodMs;
  }

  get store(): PresenceStore {
    return this.#cfg.store;
  }

  recorder(): PingRecorder {
    return this.#batcher;
  }

  syncBatcher(): Promise<void> {
    return this.#batcher.sync();
  }

  watcherFor(modelUUID: string): PresenceWatcher {
    return this.#watchers.watcher(modelUUID);
  }

  kill(): void {
    if (this.#killed) return;
    this.#killed = true;
    this.#restartTimer?.cancel();
    this.#watchers.kill();
    this.#pruner.kill();
    this.#batcher.kill(); // final flush of pending pings
    void Promise.allSettled([this.#watchers.wait(), this.#pruner.wait(), this.#batcher.wait()]).then((results) => {
      for (const r of results) if (r.status === 'rejected') this.#cfg.logger.warn('presence stopped with error', { err: errorMessage(r.reason) });
      this.#done.resolve();
    });
  }

  wait(): Promise<void> {
    return this.#done.promise;
  }

  report(): Record<string, unknown> {
    return {
      'batcher-restarts': this.#batcherRestarts,
      batcher: this.#batcher.report(),
      watchers: this.#watchers.report(),
    };
  }

  #startBatcher(): PingBatcher {
    const { store, clock, logger, registry, flushIntervalMs } = this.#cfg;
    const b = new PingBatcher({ store, clock, logger, flushInterval: flushIntervalMs, ...(registry ? { registry } : {}) });
    b.wait().then(
      () => undefined,
      (err: unknown) => {
        if (this.#killed || b !== this.#batcher) return;
        logger.error('ping batcher died; replacing it', { err: errorMessage(asError(err)) });
        this.#restartTimer = clock.setTimeout(() => {
          this.#restartTimer = undefined;
          if (this.#killed) return;
          this.#batcherRestarts++;
          this.#batcher = this.#startBatcher();
        }, BATCHER_RESTART_MS);
      },
    );
    return b;
  }
}
