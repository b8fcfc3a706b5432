// PresenceWatchers (spec §7): one PresenceWatcher per model on demand, restarted 1 s after it dies,
// with listeners registered through the factory moved to each replacement. The manifold's output.
import type { Registry } from 'prom-client';
import { ModelwatchError, deferred, nullLogger } from '../core/index.js';
import type { Clock, Logger, Random, TimerHandle, Worker } from '../core/index.js';
import { WATCHER_RESTART_DELAY_MS } from './limits.js';
import { PresenceWatcher, newDeadWatcher } from './presence-watcher.js';
import { skewSlots, validPeriod } from './slot.js';
import type { Change, PresenceStore } from './store.js';
import { positiveMs, required, validateKey, validateModel } from './validate.js';

/** Configuration of PresenceWatchers; times in ms. */
export interface PresenceWatchersConfig {
  store: PresenceStore;
  clock: Clock;
  logger?: Logger;
  period?: number;
  skewTolerance?: number;
  random?: Random;
  /** Delay before a dead watcher is replaced (default 1000, spec §7). */
  restartDelay?: number;
  registry?: Registry;
}

type Listener = (c: Change) => void;

interface ModelEntry {
  watcher: PresenceWatcher;
  /** Listeners registered through the factory, re-registered on every replacement. */
  readonly listeners: Map<string, Set<Listener>>;
  restartTimer: TimerHandle | undefined;
  restarts: number;
}

/** See the file comment. A Worker: kill() stops every watcher. */
export class PresenceWatchers implements Worker {
  readonly #cfg: PresenceWatchersConfig;
  readonly #logger: Logger;
  readonly #restartDelayMs: number;
  readonly #models = new Map<string, ModelEntry>();
  readonly #done = deferred<void>();
  #dying = false;

  /** @throws NotValidError for a missing store or Clock, or a bad period, skew tolerance or restart delay. */
  constructor(cfg: PresenceWatchersConfig) {
    required(cfg.store as PresenceStore | undefined, 'store');
    required(cfg.clock as Clock | undefined, 'Clock');
    // Checked here, not only by each watcher: a bad value must fail at startup, not on first use.
    skewSlots(cfg.skewTolerance, validPeriod(cfg.period));
    this.#restartDelayMs = positiveMs(cfg.restartDelay, 'restartDelay', WATCHER_RESTART_DELAY_MS);
    this.#logger = cfg.logger ?? nullLogger;
    this.#cfg = cfg;
  }

  /**
   * The model's current watcher, started on first use. After kill() it is a dead watcher.
   * @throws ModelwatchError NotValid for a bad model UUID.
   */
  watcher(modelUUID: string): PresenceWatcher {
    validateModel(modelUUID);
    if (this.#dying) return newDeadWatcher(new ModelwatchError('Stopped', 'presence watchers are stopped'));
    return this.#entry(modelUUID).watcher;
  }

  /**
   * Watches key on the model's watcher now and on every replacement (each replacement starts with
   * an initial event). Returns the unwatch function.
   * @throws ModelwatchError NotValid for a bad model UUID or key.
   */
  watch(modelUUID: string, key: string, listener: Listener): () => void {
    validateModel(modelUUID);
    validateKey(key);
    if (this.#dying) return () => undefined;
    const entry = this.#entry(modelUUID);
    let set = entry.listeners.get(key);
    if (set === undefined) entry.listeners.set(key, (set = new Set<Listener>()));
    set.add(listener);
    entry.watcher.watch(key, listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) entry.listeners.delete(key);
      entry.watcher.unwatch(key, listener);
    };
  }

  /** Whether the key is alive per the model's current watcher (rejects while it is being replaced). */
  alive(modelUUID: string, key: string): Promise<boolean> {
    return this.watcher(modelUUID).alive(key);
  }

  /** Stops and forgets the model's watcher (model removal); its listeners are dropped. */
  async release(modelUUID: string): Promise<void> {
    const entry = this.#models.get(modelUUID);
    if (entry === undefined) return;
    this.#models.delete(modelUUID);
    entry.restartTimer?.cancel();
    await entry.watcher.stop().catch(() => undefined);
  }

  kill(): void {
    if (this.#dying) return;
    this.#dying = true;
    const stops = [...this.#models.keys()].map((m) => this.release(m));
    void Promise.all(stops).then(() => this.#done.resolve());
  }

  wait(): Promise<void> {
    return this.#done.promise;
  }

  /** Per model: the watcher's report and its restart count. */
  report(): Record<string, unknown> {
    const models: Record<string, unknown> = {};
    for (const [m, e] of this.#models) models[m] = { 'restart-count': e.restarts, ...e.watcher.report() };
    return { 'num-watchers': this.#models.size, models };
  }

  #entry(modelUUID: string): ModelEntry {
    let entry = this.#models.get(modelUUID);
    if (entry === undefined) {
      entry = { watcher: this.#start(modelUUID), listeners: new Map(), restartTimer: undefined, restarts: 0 };
      this.#models.set(modelUUID, entry);
      this.#superviseEntry(modelUUID, entry);
    }
    return entry;
  }

  #start(modelUUID: string): PresenceWatcher {
    const c = this.#cfg;
    return new PresenceWatcher({
      store: c.store, modelUUID, clock: c.clock, logger: this.#logger,
      ...(c.period === undefined ? {} : { period: c.period }),
      ...(c.skewTolerance === undefined ? {} : { skewTolerance: c.skewTolerance }),
      ...(c.random === undefined ? {} : { random: c.random }),
      ...(c.registry === undefined ? {} : { registry: c.registry }),
    });
  }

  /** When the entry's watcher dies of an error, replaces it after the restart delay. */
  #superviseEntry(modelUUID: string, entry: ModelEntry): void {
    const watcher = entry.watcher;
    void watcher.dead.then(() => {
      const err = watcher.err();
      if (this.#dying || this.#models.get(modelUUID) !== entry || entry.watcher !== watcher || !(err instanceof Error)) return;
      this.#logger.warn('presence watcher died; restarting', { 'model-uuid': modelUUID, err: err.message, delayMs: this.#restartDelayMs });
      entry.restartTimer = this.#cfg.clock.setTimeout(() => {
        entry.restartTimer = undefined;
        if (this.#dying || this.#models.get(modelUUID) !== entry) return;
        entry.watcher = this.#start(modelUUID);
        entry.restarts++;
        for (const [key, set] of entry.listeners) for (const l of set) entry.watcher.watch(key, l);
        this.#superviseEntry(modelUUID, entry);
      }, this.#restartDelayMs);
    });
  }
}
