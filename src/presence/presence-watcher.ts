// PresenceWatcher (spec §4.3): reads one model's window (the last two slots) every P and on demand,
// applies the alive rule (alive-rule.ts) and delivers transitions to per-key listeners, async.
import type { Registry } from 'prom-client';
import { ModelwatchError, asError, deferred, errorMessage, nullLogger, systemRandom } from '../core/index.js';
import type { Clock, Deferred, Logger, Random, TimerHandle, Worker } from '../core/index.js';
import { applyRead, decodeWindow, initialPresenceState } from './alive-rule.js';
import type { PresenceState } from './alive-rule.js';
import { DeadMark, inertClock } from './dead-mark.js';
import { Listeners } from './listeners.js';
import { MAX_SEQS_PER_QUERY, PRUNE_PROBABILITY_PER_READ } from './limits.js';
import { MemoryPresenceStore } from './memory-store.js';
import { PresenceMetrics } from './metrics.js';
import { Pruner } from './pruner.js';
import { skewSlots, slotOf, validPeriod, windowSlots } from './slot.js';
import type { Change, PresenceStore } from './store.js';
import { required, validateKey, validateModel } from './validate.js';

/** Configuration of a PresenceWatcher; times in ms. */
export interface PresenceWatcherConfig {
  store: PresenceStore;
  modelUUID: string;
  clock: Clock;
  /** P, whole seconds (default 30 000); the same as the model's pingers'. */
  period?: number;
  logger?: Logger;
  /** Source of the prune draws (default Math.random). */
  random?: Random;
  /**
   * Tolerated clock skew between pingers and this watcher (default 0): ceil(skew / P) extra older
   * slots are read before a key is declared dead. See slot.ts `skewSlots` for the rule.
   */
  skewTolerance?: number;
  /** Run the Pruner after reads with the probability of spec §4.3 (default true). */
  prune?: boolean;
  registry?: Registry;
}

type Phase = 'running' | 'stopping' | 'stopped' | 'dead';

const dyingError = (): ModelwatchError => new ModelwatchError('Stopped', 'cannot check liveness: watcher is dying');

/** See the file comment. Events are transitions only; listeners never hold up reads. */
export class PresenceWatcher implements Worker {
  readonly #store: PresenceStore;
  readonly #modelUUID: string;
  readonly #clock: Clock;
  readonly #periodMs: number;
  readonly #extraSlots: number;
  readonly #logger: Logger;
  readonly #random: Random;
  readonly #pruner: Pruner | undefined;
  readonly #metrics: PresenceMetrics;
  #state: PresenceState = initialPresenceState;
  /** seq → key of every owned seq seen in a window; trimmed by the Pruner. */
  readonly #beings = new Map<number, string>();
  readonly #listeners = new Listeners((key, err) => {
    this.#logger.error('presence listener failed', { key, 'model-uuid': this.#modelUUID, err: errorMessage(err) });
  });
  /** sync() callers waiting for a read to start, and those of the read in flight. */
  #nextWaiters: Deferred<void>[] = [];
  #currentWaiters: Deferred<void>[] = [];
  /** Settles after the first read, or when the watcher stops or dies first. */
  readonly #firstRead = deferred<void>();
  #hasRead = false;
  #phase: Phase = 'running';
  #err: Error | null | undefined;
  readonly #dead = deferred<void>();
  /** True while a read (or the prune after it) is in flight: reads are serial. */
  #reading = false;
  #readRequested = false;
  #timer: TimerHandle | undefined;
  #readsSincePrune = 0;
  #unsubscribe: () => void = () => undefined;
  #stats = { reads: 0, beingLoads: 0, transitions: 0, pruneRuns: 0, pruneErrors: 0, lastReadAt: undefined as number | undefined };

  /** @throws NotValidError for a missing store or Clock, a bad model UUID, period or skew tolerance. */
  constructor(cfg: PresenceWatcherConfig, dead?: DeadMark) {
    this.#store = required(cfg.store as PresenceStore | undefined, 'store');
    this.#clock = required(cfg.clock as Clock | undefined, 'Clock');
    validateModel(cfg.modelUUID);
    this.#modelUUID = cfg.modelUUID;
    this.#periodMs = validPeriod(cfg.period);
    this.#extraSlots = skewSlots(cfg.skewTolerance, this.#periodMs);
    this.#logger = cfg.logger ?? nullLogger;
    this.#random = cfg.random ?? systemRandom;
    this.#metrics = new PresenceMetrics(cfg.registry);
    const pruner = cfg.prune === false || dead !== undefined ? undefined : new Pruner({
      store: this.#store, modelUUID: this.#modelUUID, period: this.#periodMs, clock: this.#clock,
      ...(cfg.skewTolerance === undefined ? {} : { skewTolerance: cfg.skewTolerance }),
      ...(cfg.registry === undefined ? {} : { registry: cfg.registry }),
    });
    this.#pruner = pruner;
    if (dead instanceof DeadMark) {
      this.#phase = 'dead';
      this.#err = dead.err;
      this.#firstRead.resolve();
      this.#dead.resolve();
      return;
    }
    this.#unsubscribe = this.#store.onRing((model) => {
      if (model === this.#modelUUID || model === '*') this.startSync();
    });
    this.#requestRead();
  }

  /** Settles when the watcher has stopped (cleanly or not); never rejects. */
  get dead(): Promise<void> {
    return this.#dead.promise;
  }

  /** undefined while running (or stopping), null after a clean stop, else the death error. */
  err(): Error | null | undefined {
    return this.#err;
  }

  /**
   * Registers the listener for key and queues its initial status (after the first read), then
   * transitions only. The same (key, listener) again is a no-op. Never reads storage.
   * @throws ModelwatchError NotValid for a bad key.
   */
  watch(key: string, listener: (c: Change) => void): void {
    validateKey(key);
    if (!this.#running() || !this.#listeners.add(key, listener)) return;
    if (this.#hasRead) this.#listeners.enqueueOne(key, listener, { key, alive: this.#state.alive.has(key) });
  }

  /** Removes the listener and drops its undelivered events; unknown pairs are a no-op. */
  unwatch(key: string, listener: (c: Change) => void): void {
    this.#listeners.remove(key, listener);
  }

  /**
   * Whether key was alive at the last completed read (waits for the first one).
   * @throws ModelwatchError Stopped "cannot check liveness: watcher is dying"; NotValid for a bad key.
   */
  async alive(key: string): Promise<boolean> {
    validateKey(key);
    if (!this.#running()) throw dyingError();
    if (!this.#hasRead) await this.#firstRead.promise;
    if (!this.#running()) throw dyingError();
    return this.#state.alive.has(key);
  }

  /** Resolves once a read started after this call completed and its events were delivered; early on stop. */
  sync(): Promise<void> {
    if (!this.#running()) return Promise.resolve();
    const d = deferred<void>();
    this.#nextWaiters.push(d);
    this.#requestRead();
    return d.promise;
  }

  /** Asks for a read as soon as the current one ends; returns at once; requests coalesce. */
  startSync(): void {
    this.#requestRead();
  }

  /** kill() + wait(): resolves after a clean stop, else rejects with the death error. */
  stop(): Promise<void> {
    this.kill();
    return this.wait();
  }

  /** Requests a stop; an in-flight read is abandoned and no event follows. */
  kill(): void {
    if (!this.#running()) return;
    this.#phase = 'stopping';
    this.#shutdown();
    if (!this.#reading) this.#finish(null);
  }

  /** Resolves after a clean stop; rejects with the death error. */
  async wait(): Promise<void> {
    await this.#dead.promise;
    if (this.#err instanceof Error) throw this.#err;
  }

  /** Plain-data state; 'being-loads' counts sequence-to-key records fetched from storage. */
  report(): Record<string, unknown> {
    return {
      state: this.#phase, 'model-uuid': this.#modelUUID, 'watched-keys': this.#listeners.keys, listeners: this.#listeners.size,
      'alive-keys': this.#state.alive.size, 'cached-beings': this.#beings.size, 'queue-size': this.#listeners.queued,
      reads: this.#stats.reads, 'being-loads': this.#stats.beingLoads, transitions: this.#stats.transitions,
      'prune-runs': this.#stats.pruneRuns, 'prune-errors': this.#stats.pruneErrors,
      'last-read-at': this.#stats.lastReadAt, error: this.#err?.message,
    };
  }

  /** A method, not an inline comparison: the phase changes across awaits and callbacks. */
  #running(): boolean {
    return this.#phase === 'running';
  }

  #requestRead(): void {
    if (!this.#running()) return;
    this.#readRequested = true;
    if (!this.#reading) void this.#readLoop();
  }

  async #readLoop(): Promise<void> {
    this.#reading = true;
    while (this.#readRequested && this.#running()) {
      this.#readRequested = false;
      this.#currentWaiters = this.#nextWaiters;
      this.#nextWaiters = [];
      this.#timer?.cancel();
      this.#timer = this.#clock.setTimeout(() => this.#requestRead(), this.#periodMs);
      try {
        await this.#read();
      } catch (err) {
        if (!this.#running()) break; // a stop was requested: the result no longer matters
        this.#reading = false;
        this.#die(new ModelwatchError('Internal', `cannot read presence of model "${this.#modelUUID}": ${errorMessage(err)}`, { cause: asError(err) }));
        return;
      }
      if (!this.#running()) break;
      this.#listeners.releaseAfterDelivery(this.#currentWaiters);
      this.#currentWaiters = [];
      await this.#maybePrune();
    }
    this.#reading = false;
    if (this.#phase === 'stopping') this.#finish(null);
  }

  /** Steps 1–5 of spec §4.3. */
  async #read(): Promise<void> {
    const startedAt = this.#clock.now();
    const slots = windowSlots(slotOf(startedAt, this.#periodMs), this.#periodMs, this.#extraSlots);
    const rows = await this.#store.readPings(this.#modelUUID, slots);
    if (!this.#running()) return;
    const { aliveSeqs, deadSeqs } = decodeWindow(rows);
    const missing = aliveSeqs.filter((seq) => !this.#beings.has(seq));
    for (let i = 0; i < missing.length; i += MAX_SEQS_PER_QUERY) {
      const found = await this.#store.lookupBeings(this.#modelUUID, missing.slice(i, i + MAX_SEQS_PER_QUERY));
      if (!this.#running()) return;
      for (const [seq, key] of found) this.#beings.set(seq, key); // unowned seqs stay uncached
      this.#stats.beingLoads += found.size;
      this.#metrics.beingLoads.inc(found.size);
    }
    const { next, transitions } = applyRead(this.#state, { aliveSeqs, deadSeqs, beings: this.#beings });
    this.#state = next;
    this.#stats.reads++;
    this.#stats.lastReadAt = startedAt;
    this.#metrics.reads.inc();
    this.#metrics.keysAlive.set({ model_uuid: this.#modelUUID }, next.alive.size);
    if (!this.#hasRead) {
      this.#hasRead = true;
      this.#listeners.enqueueAll((key) => ({ key, alive: next.alive.has(key) }));
      this.#firstRead.resolve();
      return;
    }
    this.#stats.transitions += transitions.length;
    for (const t of transitions) {
      this.#metrics.transitions.inc({ to: t.alive ? 'alive' : 'dead' });
      this.#listeners.enqueueKey(t);
    }
  }

  /** Runs the Pruner with probability min(1, 0.0038·n), n = reads since the last prune. */
  async #maybePrune(): Promise<void> {
    if (this.#pruner === undefined) return;
    this.#readsSincePrune++;
    if (this.#random() >= Math.min(1, PRUNE_PROBABILITY_PER_READ * this.#readsSincePrune)) return;
    this.#readsSincePrune = 0;
    try {
      await this.#pruner.prune(this.#beings);
      this.#stats.pruneRuns++;
    } catch (err) {
      this.#stats.pruneErrors++;
      this.#logger.error('presence prune failed', { 'model-uuid': this.#modelUUID, err: errorMessage(err) });
    }
  }

  /** Common to stop and death: no more reads, rings or events; sync() and alive() callers released. */
  #shutdown(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#unsubscribe();
    this.#listeners.close();
    for (const w of [...this.#nextWaiters, ...this.#currentWaiters]) w.resolve();
    this.#nextWaiters = [];
    this.#currentWaiters = [];
    this.#firstRead.resolve();
  }

  #die(err: Error): void {
    this.#logger.error('presence watcher died', { 'model-uuid': this.#modelUUID, err: err.message });
    this.#phase = 'dead';
    this.#shutdown();
    this.#finish(err);
  }

  #finish(err: Error | null): void {
    this.#phase = err === null ? 'stopped' : 'dead';
    this.#err = err;
    this.#metrics.keysAlive.remove({ model_uuid: this.#modelUUID });
    this.#dead.resolve();
  }
}

/** A watcher already dead of `err`: as after a read failure (spec §4.3). */
export function newDeadWatcher(err: Error): PresenceWatcher {
  return new PresenceWatcher(
    { store: new MemoryPresenceStore(), modelUUID: '00000000-0000-0000-0000-000000000000', clock: inertClock },
    new DeadMark(err),
  );
}
