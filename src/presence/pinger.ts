// Pinger (spec §4.1): while running, sets its sequence's bit in the current slot about every I s,
// through a recorder (the controller's PingBatcher, or direct writes to the store).
import { ModelwatchError, deferred, errorMessage, nullLogger } from '../core/index.js';
import type { Clock, Deferred, Logger, TimerHandle, Worker } from '../core/index.js';
import { PING_RETRY_MS } from './limits.js';
import { fieldBit, fieldKey } from './sequence.js';
import { pingIntervalMs, slotOf, validPeriod } from './slot.js';
import type { PingRecorder, PresenceStore } from './store.js';
import { required, validateKey, validateModel } from './validate.js';

/** Configuration of a Pinger; period in ms (whole seconds, default 30 000). */
export interface PingerConfig {
  store: PresenceStore;
  modelUUID: string;
  key: string;
  /** Called on every attempt, so a restarted batcher is picked up at once. Default: direct writes. */
  recorder?: () => PingRecorder;
  clock: Clock;
  period?: number;
  logger?: Logger;
}

type Phase = 'stopped' | 'starting' | 'running';

/** See the file comment. A stopped pinger may start again, always with a new sequence. */
export class Pinger implements Worker {
  readonly #store: PresenceStore;
  readonly #modelUUID: string;
  readonly #key: string;
  readonly #recorder: () => PingRecorder;
  readonly #clock: Clock;
  readonly #periodMs: number;
  readonly #intervalMs: number;
  readonly #logger: Logger;
  #phase: Phase = 'stopped';
  #seq: number | undefined;
  /** The slot of the last accepted ping of the current run; reset by every start. */
  #lastSlot: number | undefined;
  #timer: TimerHandle | undefined;
  /** The start or attempt in flight; stop() awaits it, and attempts never overlap. */
  #inflight: Promise<unknown> | undefined;
  #stopRequested = false;
  #stopped: Deferred<void> | undefined;
  #stats = { starts: 0, pings: 0, failedPings: 0 };

  /** @throws NotValidError for a missing store or Clock, a bad model UUID, key or period. */
  constructor(cfg: PingerConfig) {
    this.#store = required(cfg.store as PresenceStore | undefined, 'store');
    this.#clock = required(cfg.clock as Clock | undefined, 'Clock');
    validateModel(cfg.modelUUID);
    validateKey(cfg.key);
    this.#modelUUID = cfg.modelUUID;
    this.#key = cfg.key;
    this.#periodMs = validPeriod(cfg.period);
    this.#intervalMs = pingIntervalMs(this.#periodMs);
    this.#logger = cfg.logger ?? nullLogger;
    const direct: PingRecorder = {
      ping: (modelUUID, slot, key, bit) => this.#store.upsertPings([{ modelUUID, slot, fieldKey: key, alive: bit, dead: 0n }]),
    };
    this.#recorder = cfg.recorder ?? (() => direct);
  }

  /** Sequence of the latest start or kill; undefined before either. */
  get seq(): number | undefined {
    return this.#seq;
  }

  /**
   * Allocates a new sequence, pings once, and arms the loop; resolves once that ping was accepted.
   * @throws ModelwatchError AlreadyExists "pinger already started"; Internal for a store or
   * recorder failure (the pinger then stays stopped).
   */
  start(): Promise<void> {
    if (this.#phase !== 'stopped') return Promise.reject(new ModelwatchError('AlreadyExists', 'pinger already started'));
    this.#phase = 'starting';
    this.#stopRequested = false;
    this.#stopped = deferred<void>();
    const starting = this.#start();
    this.#inflight = starting;
    return starting;
  }

  async #start(): Promise<void> {
    try {
      let seq: number;
      try {
        seq = await this.#store.allocate(this.#modelUUID, this.#key);
      } catch (err) {
        throw new ModelwatchError('Internal', `cannot start pinger for "${this.#key}": ${errorMessage(err)}`, { cause: err });
      }
      this.#seq = seq;
      this.#lastSlot = undefined;
      const err = await this.#attempt();
      if (err !== undefined) {
        throw new ModelwatchError('Internal', `cannot start pinger for "${this.#key}": ${errorMessage(err)}`, { cause: err });
      }
    } catch (err) {
      this.#toStopped();
      throw err;
    }
    this.#stats.starts++;
    if (this.#stopRequested) this.#toStopped();
    else {
      this.#phase = 'running';
      this.#arm(this.#intervalMs);
    }
  }

  /** Stops pinging and writes nothing; watchers notice once the last ping leaves the window. */
  async stop(): Promise<void> {
    if (this.#phase === 'stopped') return;
    this.#stopRequested = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    // Settles the start or attempt in flight; a failing start already moved to stopped.
    await this.#inflight?.catch(() => undefined);
    this.#toStopped();
  }

  /** Requests stop() and returns at once. */
  kill(): void {
    void this.stop();
  }

  /** Resolves once not running (at once if never started). Never rejects. */
  wait(): Promise<void> {
    return this.#phase === 'stopped' || this.#stopped === undefined ? Promise.resolve() : this.#stopped.promise;
  }

  /**
   * Stops, then records the key as dead directly in the store and rings the doorbell. Running: ORs
   * alive|dead of its seq into the row of its last slot. Stopped: allocates a new seq and ORs
   * alive|dead into the current slot, so the key's newest seq is dead. Also the production
   * "mark dead" path on a clean disconnect (spec §7).
   * @throws ModelwatchError Internal on a store error; the pinger is stopped either way.
   */
  async killForTesting(): Promise<void> {
    const wasRunning = this.#phase !== 'stopped';
    await this.stop();
    try {
      let seq = this.#seq;
      let slot = this.#lastSlot;
      if (!wasRunning || seq === undefined || slot === undefined) {
        seq = await this.#store.allocate(this.#modelUUID, this.#key);
        this.#seq = seq;
        slot = slotOf(this.#clock.now(), this.#periodMs);
      }
      const bit = fieldBit(seq);
      await this.#store.upsertPings([{ modelUUID: this.#modelUUID, slot, fieldKey: fieldKey(seq), alive: bit, dead: bit }]);
    } catch (err) {
      throw new ModelwatchError('Internal', `cannot record death of "${this.#key}": ${errorMessage(err)}`, { cause: err });
    }
    this.#store.ring(this.#modelUUID);
  }

  /** Plain-data state for diagnostics. */
  report(): Record<string, unknown> {
    return {
      state: this.#phase, key: this.#key, 'model-uuid': this.#modelUUID, seq: this.#seq, 'last-slot': this.#lastSlot,
      starts: this.#stats.starts, pings: this.#stats.pings, 'failed-pings': this.#stats.failedPings,
    };
  }

  #toStopped(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#phase = 'stopped';
    this.#stopped?.resolve();
  }

  #arm(ms: number): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#inflight = this.#tick();
    }, ms);
  }

  /** A timed attempt; the next regular one is I after this one started, a retry 1 s after a failure. */
  async #tick(): Promise<void> {
    const started = this.#clock.now();
    const err = await this.#attempt();
    if (this.#phase !== 'running' || this.#stopRequested) return;
    this.#arm(err === undefined ? started + this.#intervalMs - this.#clock.now() : PING_RETRY_MS);
  }

  /** Pings the current slot unless already pinged; returns the recorder's error, if any. */
  async #attempt(): Promise<Error | undefined> {
    const seq = this.#seq;
    if (seq === undefined) return undefined;
    const slot = slotOf(this.#clock.now(), this.#periodMs);
    if (slot === this.#lastSlot) return undefined;
    try {
      await this.#recorder().ping(this.#modelUUID, slot, fieldKey(seq), fieldBit(seq));
    } catch (err) {
      this.#stats.failedPings++;
      this.#logger.warn('presence ping failed; retrying in 1 s', { key: this.#key, 'model-uuid': this.#modelUUID, err: errorMessage(err) });
      return err instanceof Error ? err : new Error(String(err));
    }
    this.#lastSlot = slot;
    this.#stats.pings++;
    return undefined;
  }
}
