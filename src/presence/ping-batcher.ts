// PingBatcher (spec §4.2): one per controller process. Merges pings by bitwise OR into one pending
// row per (model, slot, field key) and writes them all in one transaction about every F ms.
import type { Registry } from 'prom-client';
import { ModelwatchError, deferred, errorMessage, nullLogger, systemRandom } from '../core/index.js';
import type { Clock, Deferred, Logger, Random, TimerHandle, Worker } from '../core/index.js';
import { DeadMark, inertClock } from './dead-mark.js';
import { DEFAULT_SYNC_DELAY_MS, FLUSH_JITTER_HIGH, FLUSH_JITTER_LOW, STALE_ROW_AGE_MS } from './limits.js';
import { MemoryPresenceStore } from './memory-store.js';
import { PresenceMetrics } from './metrics.js';
import { isFieldBit, isFieldKey } from './sequence.js';
import type { PingRecorder, PingRow, PresenceStore } from './store.js';
import { positiveMs, required, validateModel } from './validate.js';

/** Configuration of a PingBatcher; times in ms. */
export interface PingBatcherConfig {
  store: PresenceStore;
  /** F: mean flush interval; each delay is drawn from [0.8·F, 1.2·F). Controllers use 1000. */
  flushInterval: number;
  clock: Clock;
  logger?: Logger;
  /** Source of the flush jitter (default Math.random). */
  random?: Random;
  /** d: delay before the flush a sync() asks for (default 10). */
  syncDelay?: number;
  registry?: Registry;
}

interface PendingRow {
  readonly modelUUID: string;
  readonly slot: number;
  readonly fieldKey: string;
  alive: bigint;
  dead: bigint;
}

type Phase = 'running' | 'stopping' | 'stopped' | 'dead';

const stoppedError = (): ModelwatchError => new ModelwatchError('Stopped', 'PingBatcher is stopped');

/** See the file comment. A flush error never kills it: the rows go back to pending and are retried. */
export class PingBatcher implements Worker, PingRecorder {
  readonly #store: PresenceStore;
  readonly #flushIntervalMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #random: Random;
  readonly #syncDelayMs: number;
  readonly #metrics: PresenceMetrics;
  /** Rows to write at the next flush, keyed by model|slot|fieldKey; swapped out whole by a flush. */
  #pending = new Map<string, PendingRow>();
  #phase: Phase = 'running';
  /** The error the batcher died of (phase 'dead'). */
  #err: Error | undefined;
  #flushTimer: TimerHandle | undefined;
  #syncTimer: TimerHandle | undefined;
  /** sync() callers for the next flush to start; a flush takes them all when it starts. */
  #waiters: Deferred<void>[] = [];
  /** The flush loop in progress, if any; only one flush runs at a time. */
  #flushing: Promise<void> | undefined;
  #flushAgain = false;
  #finalFlushStarted = false;
  readonly #done = deferred<void>();
  #stats = { pings: 0, flushes: 0, failedFlushes: 0, rowsWritten: 0, droppedRows: 0, lastFlushRows: 0, lastFlushMs: 0 };
  #lastError: string | undefined;

  /** @throws NotValidError for a missing store or Clock, or a bad flushInterval/syncDelay. */
  constructor(cfg: PingBatcherConfig, dead?: DeadMark) {
    this.#store = required(cfg.store as PresenceStore | undefined, 'store');
    this.#clock = required(cfg.clock as Clock | undefined, 'Clock');
    this.#flushIntervalMs = positiveMs(required(cfg.flushInterval as number | undefined, 'flushInterval'), 'flushInterval', 0);
    this.#syncDelayMs = positiveMs(cfg.syncDelay, 'syncDelay', DEFAULT_SYNC_DELAY_MS);
    this.#logger = cfg.logger ?? nullLogger;
    this.#random = cfg.random ?? systemRandom;
    this.#metrics = new PresenceMetrics(cfg.registry);
    if (dead instanceof DeadMark) {
      this.#phase = 'dead';
      this.#err = dead.err;
      this.#done.reject(dead.err);
      return;
    }
    this.#armFlushTimer();
  }

  /**
   * ORs the bit into the pending row; no I/O.
   * @throws ModelwatchError Stopped "PingBatcher is stopped" once stop was requested; NotValid for
   * bad arguments; the death error of a dead batcher.
   */
  ping(modelUUID: string, slot: number, fieldKey: string, fieldBit: bigint): Promise<void> {
    if (this.#phase === 'dead') return Promise.reject(this.#err);
    if (this.#phase !== 'running') return Promise.reject(stoppedError());
    try {
      validateModel(modelUUID);
      if (!Number.isSafeInteger(slot) || slot < 0) throw new ModelwatchError('NotValid', `slot ${String(slot)} not valid`);
      if (!isFieldKey(fieldKey)) throw new ModelwatchError('NotValid', `fieldKey ${JSON.stringify(fieldKey)} not valid`);
      if (!isFieldBit(fieldBit)) throw new ModelwatchError('NotValid', `fieldBit ${String(fieldBit)} not valid: must be 2^i, i in [0, 62]`);
    } catch (err) {
      return Promise.reject(err);
    }
    this.#merge(modelUUID, slot, fieldKey, fieldBit, 0n);
    this.#stats.pings++;
    this.#metrics.pingsReceived.inc();
    return Promise.resolve();
  }

  /**
   * Resolves after the next flush has been written: one that starts after this call. Rejects with
   * the write error (as `cause`) when that flush fails, or "PingBatcher is stopped" after a stop.
   */
  sync(): Promise<void> {
    if (this.#phase === 'dead') return Promise.reject(this.#err);
    if (this.#phase === 'stopped' || this.#finalFlushStarted) return Promise.reject(stoppedError());
    const d = deferred<void>();
    this.#waiters.push(d);
    if (this.#phase === 'running' && this.#syncTimer === undefined) {
      this.#syncTimer = this.#clock.setTimeout(() => {
        this.#syncTimer = undefined;
        this.#requestFlush();
      }, this.#syncDelayMs);
    }
    return d.promise;
  }

  /** Stops accepting pings, writes a final flush, ends. Rejects if that flush (or the batcher) failed. */
  async stop(): Promise<void> {
    if (this.#phase === 'dead') throw this.#err ?? stoppedError();
    this.kill();
    return this.wait();
  }

  /** Requests the shutdown of stop() and returns at once. */
  kill(): void {
    if (this.#phase !== 'running') return;
    this.#phase = 'stopping';
    this.#flushTimer?.cancel();
    this.#syncTimer?.cancel();
    this.#syncTimer = undefined;
    void this.#finish();
  }

  /** Settles after the final flush: rejects with its error, or the error of a dead batcher. */
  wait(): Promise<void> {
    return this.#done.promise;
  }

  /** Plain-data state for diagnostics. */
  report(): Record<string, unknown> {
    return {
      state: this.#phase,
      'pending-rows': this.#pending.size,
      'sync-waiters': this.#waiters.length,
      'pings-received': this.#stats.pings,
      flushes: this.#stats.flushes,
      'failed-flushes': this.#stats.failedFlushes,
      'rows-written': this.#stats.rowsWritten,
      'dropped-rows': this.#stats.droppedRows,
      'last-flush-rows': this.#stats.lastFlushRows,
      'last-flush-ms': this.#stats.lastFlushMs,
      'last-error': this.#lastError ?? this.#err?.message,
    };
  }

  #merge(modelUUID: string, slot: number, fieldKey: string, alive: bigint, dead: bigint): void {
    const id = `${modelUUID}|${slot}|${fieldKey}`;
    const row = this.#pending.get(id);
    if (row === undefined) this.#pending.set(id, { modelUUID, slot, fieldKey, alive, dead });
    else {
      row.alive |= alive;
      row.dead |= dead;
    }
    this.#metrics.pendingRows.set(this.#pending.size);
  }

  #armFlushTimer(): void {
    this.#flushTimer?.cancel();
    const jitter = FLUSH_JITTER_LOW + (FLUSH_JITTER_HIGH - FLUSH_JITTER_LOW) * this.#random();
    this.#flushTimer = this.#clock.setTimeout(() => {
      this.#flushTimer = undefined;
      this.#requestFlush();
    }, this.#flushIntervalMs * jitter);
  }

  #requestFlush(): void {
    if (this.#phase !== 'running') return;
    if (this.#flushing !== undefined) {
      this.#flushAgain = true; // a timer fired meanwhile: flush again once this one ends
      return;
    }
    this.#flushTimer?.cancel();
    this.#flushing = this.#flushLoop();
  }

  async #flushLoop(): Promise<void> {
    do {
      this.#flushAgain = false;
      await this.#flushOnce();
    } while (this.#shouldFlushAgain());
    this.#flushing = undefined;
    if (this.#running()) this.#armFlushTimer();
  }

  /** True when a timer or sync asked for a flush while the last one ran (set across the await). */
  #shouldFlushAgain(): boolean {
    return this.#flushAgain && this.#running();
  }

  /** A method, not an inline comparison: the phase changes across awaits. */
  #running(): boolean {
    return this.#phase === 'running';
  }

  /** One flush: takes the waiters and the pending rows, writes, settles the waiters. */
  async #flushOnce(): Promise<Error | undefined> {
    const waiters = this.#waiters;
    this.#waiters = [];
    const rows = this.#takeRows();
    if (rows.length === 0) {
      this.#metrics.flushes.inc({ result: 'empty' });
      for (const w of waiters) w.resolve();
      return undefined;
    }
    const started = this.#clock.now();
    try {
      await this.#store.upsertPings(rows);
    } catch (cause) {
      for (const r of rows) this.#merge(r.modelUUID, r.slot, r.fieldKey, r.alive, r.dead); // OR is idempotent
      this.#stats.failedFlushes++;
      this.#metrics.flushes.inc({ result: 'error' });
      this.#lastError = errorMessage(cause);
      this.#logger.error('presence flush failed; rows kept for the next flush', { rows: rows.length, cause: errorMessage(cause) });
      const err = new ModelwatchError('TryAgain', `cannot flush ${rows.length} presence rows: ${errorMessage(cause)}`, { cause });
      for (const w of waiters) w.reject(err);
      return err;
    }
    const ms = this.#clock.now() - started;
    this.#stats.flushes++;
    this.#stats.rowsWritten += rows.length;
    this.#stats.lastFlushRows = rows.length;
    this.#stats.lastFlushMs = ms;
    this.#metrics.flushes.inc({ result: 'ok' });
    this.#metrics.flushRows.observe(rows.length);
    this.#metrics.flushSeconds.observe(ms / 1000);
    for (const w of waiters) w.resolve();
    return undefined;
  }

  /** Swaps pending for an empty map; drops rows too old for any watcher (after long outages). */
  #takeRows(): PingRow[] {
    const pending = this.#pending;
    this.#pending = new Map();
    this.#metrics.pendingRows.set(0);
    const oldest = (this.#clock.now() - STALE_ROW_AGE_MS) / 1000;
    const rows: PingRow[] = [];
    let dropped = 0;
    for (const r of pending.values()) {
      if (r.slot < oldest) dropped++;
      else rows.push({ modelUUID: r.modelUUID, slot: r.slot, fieldKey: r.fieldKey, alive: r.alive, dead: r.dead });
    }
    if (dropped > 0) {
      this.#stats.droppedRows += dropped;
      this.#logger.error('presence rows dropped: older than any watcher reads', { rows: dropped });
    }
    return rows;
  }

  async #finish(): Promise<void> {
    if (this.#flushing !== undefined) await this.#flushing;
    this.#finalFlushStarted = true;
    const err = await this.#flushOnce();
    if (err === undefined) {
      this.#phase = 'stopped';
      this.#done.resolve();
      return;
    }
    this.#logger.error('final presence flush failed; its pings are lost', { rows: this.#pending.size });
    this.#pending.clear();
    this.#metrics.pendingRows.set(0);
    this.#phase = 'dead';
    this.#err = err;
    this.#done.reject(err);
  }
}

/** A PingBatcher already dead of `err`: ping, sync, stop and wait reject with it; kill does nothing. */
export function newDeadPingBatcher(err: Error): PingBatcher {
  return new PingBatcher({ store: new MemoryPresenceStore(), flushInterval: 1000, clock: inertClock }, new DeadMark(err));
}
