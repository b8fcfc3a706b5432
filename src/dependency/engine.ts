// The dependency engine (Juju's dependency.Engine): runs named manifolds, starts each once its inputs
// run, restarts failures with capped exponential back-off, bounces dependents when an input restarts,
// and is itself a Worker. Each manifold's lifecycle is one Slot; all mutation happens on the event
// loop in the #on* handlers, so there is no locking.
import type { Registry } from 'prom-client';
import { NotValidError, asError, deferred, errorMessage, exponentialDelayMs, isReporter } from '../core/index.js';
import type { Clock, Logger, TimerHandle, Worker } from '../core/index.js';
import {
  DEFAULT_BACKOFF_FACTOR, DEFAULT_BOUNCE_DELAY_MS, DEFAULT_ERROR_DELAY_MS, DEFAULT_MAX_DELAY_MS,
} from './limits.js';
import { ErrMissing, isErrBounce, isErrMissing, isErrUninstall } from './manifold.js';
import type { Manifold, ManifoldContext } from './manifold.js';
import { EngineMetrics } from './metrics.js';

/** Configuration of an Engine. Times in ms. */
export interface EngineConfig {
  clock: Clock;
  logger: Logger;
  /** First restart delay after a failure (default 3000). */
  errorDelayMs?: number;
  /** Restart delay after a bounce (default 10). */
  bounceDelayMs?: number;
  /** Back-off cap (default 60000). */
  maxDelayMs?: number;
  /** Back-off growth per consecutive failure (default 2). */
  backoffFactor?: number;
  /** Errors that kill the whole engine instead of restarting the manifold (default: none). */
  isFatal?: (err: Error) => boolean;
  registry?: Registry;
}

/** Lifecycle of one manifold. */
export type SlotState = 'stopped' | 'starting' | 'started' | 'stopping';

interface Slot {
  readonly name: string;
  readonly manifold: Manifold;
  state: SlotState;
  worker: Worker | undefined;
  /** Aborted to abandon the start in flight (state 'starting'). */
  attempt: AbortController | undefined;
  /** Set when an input changed while running/starting: restart soon, whatever the exit error. */
  bouncing: boolean;
  restartTimer: TimerHandle | undefined;
  startCount: number;
  /** Consecutive failures, for the back-off; reset by a clean exit or a long healthy run. */
  failures: number;
  startedAt: number;
  /** True while dependents may hold this slot's output: from a published start until its exit. */
  published: boolean;
  lastError: Error | undefined;
}

/** See the file comment. `kill()` stops every worker; `wait()` settles once all have stopped. */
export class Engine implements Worker {
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #errorDelayMs: number;
  readonly #bounceDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #factor: number;
  readonly #isFatal: (err: Error) => boolean;
  readonly #slots = new Map<string, Slot>();
  readonly #done = deferred<void>();
  readonly #metrics: EngineMetrics | undefined;
  #dying = false;
  /** The fatal error the engine dies of, if any (the first one wins). */
  #worstError: Error | undefined;

  /** @throws NotValidError "missing Clock not valid", "missing Logger not valid", or a bad timing. */
  constructor(config: EngineConfig) {
    if ((config as Partial<EngineConfig>).clock === undefined) throw new NotValidError('missing Clock not valid');
    if ((config as Partial<EngineConfig>).logger === undefined) throw new NotValidError('missing Logger not valid');
    this.#clock = config.clock;
    this.#logger = config.logger;
    this.#errorDelayMs = checkMs('errorDelayMs', config.errorDelayMs, DEFAULT_ERROR_DELAY_MS);
    this.#bounceDelayMs = checkMs('bounceDelayMs', config.bounceDelayMs, DEFAULT_BOUNCE_DELAY_MS);
    this.#maxDelayMs = checkMs('maxDelayMs', config.maxDelayMs, DEFAULT_MAX_DELAY_MS);
    const factor = config.backoffFactor ?? DEFAULT_BACKOFF_FACTOR;
    if (!Number.isFinite(factor) || factor < 1) throw new NotValidError(`backoffFactor ${factor} not valid: must be ≥ 1`);
    this.#factor = factor;
    this.#isFatal = config.isFatal ?? (() => false);
    if (config.registry !== undefined) this.#metrics = new EngineMetrics(config.registry, () => this.#slotStates());
  }

  /**
   * Adds a manifold and starts it as soon as its inputs run.
   * @throws NotValidError for an empty or taken name, a malformed manifold, or a self-dependency;
   *   ModelwatchError Stopped when the engine is shutting down.
   */
  install(name: string, manifold: Manifold): void {
    if (typeof name !== 'string' || name === '') throw new NotValidError('manifold name not valid: must be a non-empty string');
    if (this.#dying) throw new NotValidError(`cannot install "${name}": engine is shutting down`);
    if (this.#slots.has(name)) throw new NotValidError(`"${name}" manifold already installed`);
    if (typeof (manifold as Partial<Manifold>).start !== 'function') throw new NotValidError(`manifold "${name}": missing start not valid`);
    if (!Array.isArray(manifold.inputs)) throw new NotValidError(`manifold "${name}": inputs not valid: must be an array`);
    if (manifold.inputs.includes(name)) throw new NotValidError(`manifold "${name}" cannot depend on itself`);
    const slot: Slot = {
      name, manifold, state: 'stopped', worker: undefined, attempt: undefined, bouncing: false,
      restartTimer: undefined, startCount: 0, failures: 0, startedAt: 0, published: false, lastError: undefined,
    };
    this.#slots.set(name, slot);
    this.#logger.debug('manifold installed', { manifold: name, inputs: manifold.inputs });
    this.#tryStart(slot);
  }

  /** Installs several manifolds (in object order). */
  installAll(manifolds: Readonly<Record<string, Manifold>>): void {
    for (const [name, m] of Object.entries(manifolds)) this.install(name, m);
  }

  kill(): void {
    this.#startDying(undefined);
  }

  wait(): Promise<void> {
    return this.#done.promise;
  }

  /** Engine state plus, per manifold: state, inputs, start-count, last-error and its worker's report. */
  report(): Record<string, unknown> {
    const manifolds: Record<string, unknown> = {};
    for (const s of this.#slots.values()) {
      const entry: Record<string, unknown> = { state: s.state, inputs: [...s.manifold.inputs], 'start-count': s.startCount };
      if (s.lastError !== undefined) entry['last-error'] = s.lastError.message;
      if (s.state === 'started' && isReporter(s.worker)) entry.report = s.worker.report();
      manifolds[s.name] = entry;
    }
    const state = this.#dying ? (this.#allStopped() ? 'stopped' : 'stopping') : 'started';
    return { state, manifolds };
  }

  #tryStart(slot: Slot): void {
    if (this.#dying || slot.state !== 'stopped' || slot.restartTimer !== undefined) return;
    if (this.#slots.get(slot.name) !== slot) return; // uninstalled
    for (const input of slot.manifold.inputs) {
      if (this.#slots.get(input)?.state !== 'started') return; // started again when that input starts
    }
    const attempt = new AbortController();
    slot.state = 'starting';
    slot.attempt = attempt;
    slot.startCount++;
    this.#metrics?.started(slot.name);
    const ctx: ManifoldContext = {
      signal: attempt.signal,
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- see ManifoldContext.getResource
      getResource: <T>(input: string): T => {
        if (!slot.manifold.inputs.includes(input)) throw new Error(`"${input}" not declared as an input of "${slot.name}"`);
        const dep = this.#slots.get(input);
        if (attempt.signal.aborted || dep?.state !== 'started' || dep.worker === undefined) throw ErrMissing;
        return (dep.manifold.output ? dep.manifold.output(dep.worker) : dep.worker) as T;
      },
    };
    let starting: Promise<Worker>;
    try {
      starting = slot.manifold.start(ctx);
    } catch (err) {
      starting = Promise.reject(asError(err));
    }
    starting.then(
      (worker) => this.#onStarted(slot, attempt, worker),
      (err: unknown) => this.#onStartFailed(slot, attempt, asError(err)),
    );
  }

  #onStarted(slot: Slot, attempt: AbortController, worker: Worker): void {
    slot.attempt = undefined;
    if (attempt.signal.aborted) {
      // Abandoned while starting (engine dying or an input bounced): stop it before anything sees it.
      slot.state = 'stopping';
      slot.worker = worker;
      worker.kill();
    } else {
      slot.state = 'started';
      slot.worker = worker;
      slot.startedAt = this.#clock.now();
      slot.published = true;
      this.#logger.debug('manifold started', { manifold: slot.name });
      this.#bounceDependents(slot.name);
    }
    worker.wait().then(
      () => this.#onExit(slot, undefined),
      (err: unknown) => this.#onExit(slot, asError(err)),
    );
  }

  #onStartFailed(slot: Slot, attempt: AbortController, err: Error): void {
    slot.attempt = undefined;
    if (attempt.signal.aborted && !this.#dying) slot.bouncing = true;
    this.#onExit(slot, err);
  }

  #onExit(slot: Slot, rawErr: Error | undefined): void {
    const wasPublished = slot.published;
    const ranMs = this.#clock.now() - slot.startedAt;
    slot.state = 'stopped';
    slot.worker = undefined;
    slot.published = false;
    if (wasPublished) this.#bounceDependents(slot.name);
    if (this.#dying) {
      this.#maybeFinish();
      return;
    }
    const err = rawErr !== undefined && slot.manifold.filter ? slot.manifold.filter(rawErr) : rawErr;
    const bouncing = slot.bouncing;
    slot.bouncing = false;
    if (err !== undefined && isErrUninstall(err)) {
      this.#logger.info('manifold uninstalled', { manifold: slot.name });
      this.#slots.delete(slot.name);
      return;
    }
    if (err !== undefined && isErrMissing(err)) {
      // Waits for an input to change: #bounceDependents calls #tryStart then.
      this.#logger.debug('manifold waiting for inputs', { manifold: slot.name });
      if (bouncing) this.#scheduleStart(slot, this.#bounceDelayMs);
      return;
    }
    if (err !== undefined && this.#isFatal(err)) {
      slot.lastError = err;
      this.#logger.error('manifold failed fatally', { manifold: slot.name, err: err.message });
      this.#startDying(err);
      return;
    }
    if (bouncing || (err !== undefined && isErrBounce(err))) {
      this.#scheduleStart(slot, this.#bounceDelayMs);
      return;
    }
    if (err === undefined) {
      slot.failures = 0;
      this.#scheduleStart(slot, this.#errorDelayMs);
      return;
    }
    if (ranMs >= this.#maxDelayMs) slot.failures = 0; // a long healthy run forgives earlier failures
    slot.failures++;
    slot.lastError = err;
    const delay = exponentialDelayMs(slot.failures, this.#errorDelayMs, this.#factor, this.#maxDelayMs);
    this.#logger.warn('manifold failed; restarting', { manifold: slot.name, err: errorMessage(err), delayMs: delay });
    this.#scheduleStart(slot, delay);
  }

  #scheduleStart(slot: Slot, delayMs: number): void {
    slot.restartTimer?.cancel();
    slot.restartTimer = this.#clock.setTimeout(() => {
      slot.restartTimer = undefined;
      this.#tryStart(slot);
    }, delayMs);
  }

  /** An input started or stopped: restart running dependents; start waiting ones. */
  #bounceDependents(name: string): void {
    for (const s of this.#slots.values()) {
      if (!s.manifold.inputs.includes(name)) continue;
      if (s.state === 'started' && s.worker !== undefined) {
        s.bouncing = true;
        s.state = 'stopping';
        s.worker.kill();
      } else if (s.state === 'starting') {
        s.attempt?.abort();
      } else if (s.state === 'stopped') {
        this.#tryStart(s);
      }
    }
  }

  #startDying(err: Error | undefined): void {
    if (err !== undefined && this.#worstError === undefined) this.#worstError = err;
    if (this.#dying) return;
    this.#dying = true;
    for (const s of this.#slots.values()) {
      s.restartTimer?.cancel();
      s.restartTimer = undefined;
      s.attempt?.abort();
      if (s.state === 'started' && s.worker !== undefined) {
        s.state = 'stopping';
        s.worker.kill();
      }
    }
    this.#maybeFinish();
  }

  #allStopped(): boolean {
    for (const s of this.#slots.values()) if (s.state !== 'stopped') return false;
    return true;
  }

  #maybeFinish(): void {
    if (!this.#dying || !this.#allStopped()) return;
    this.#metrics?.unregister();
    if (this.#worstError === undefined) this.#done.resolve();
    else this.#done.reject(this.#worstError);
  }

  #slotStates(): SlotState[] {
    return [...this.#slots.values()].map((s) => s.state);
  }
}

function checkMs(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v < 0) throw new NotValidError(`${name} ${v} not valid: must be a non-negative number of ms`);
  return v;
}
