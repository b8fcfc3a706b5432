// The multiwatcher's view of the state (spec/state.md §5): getAll loads one consistent snapshot at
// revision R; every change after R then reaches the watch listeners exactly once, in revision order.
// The backing keeps its own cursor and reads the change log by revision whenever the doorbell rings
// (commit in this process, NOTIFY from another, reconnect) or the poll timer fires, so a lost ring
// only delays. Read failures retry with back-off from the same cursor.
import type { AllWatcherBacking, BackingChange, BackingStore, Clock, EntityId, EntityInfo, Logger, Reporter, TimerHandle } from '../../core/index.js';
import { ModelwatchError, errorMessage, hasCode } from '../../core/index.js';
import type { Ring, Snapshot, StoredChange } from '../driver.js';
import type { StateMetrics } from '../metrics.js';

/** What a backing reads; the store implements it over its driver. */
export interface BackingSource {
  /** Rows after `rev` ending on a revision boundary; `more` when the batch was full. */
  readChangesAfter(rev: number): Promise<{ rows: StoredChange[]; more: boolean }>;
  snapshot(): Promise<Snapshot>;
  get(id: EntityId): Promise<EntityInfo | undefined>;
  subscribe(onRing: (ring: Ring) => void): () => void;
}

export interface StateBackingConfig {
  source: BackingSource;
  clock: Clock;
  logger: Logger;
  metrics: StateMetrics;
  pollIntervalMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  onRelease: (backing: StateBacking) => void;
}

/** Sent once when the cursor fell below the retention window: the worker's changed() then rejects. */
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

export class StateBacking implements AllWatcherBacking, Reporter {
  readonly #config: StateBackingConfig;
  readonly #listeners = new Set<(change: BackingChange) => void>();
  /** Last revision delivered (or loaded by getAll); undefined before getAll and during a load. */
  #cursor: number | undefined;
  /** Bumped by every getAll: a read started under an older epoch delivers nothing. */
  #epoch = 0;
  #pumping = false;
  #again = false;
  #unsubscribe: (() => void) | undefined;
  #pollTimer: TimerHandle | undefined;
  #retryTimer: TimerHandle | undefined;
  #retryMs = 0;
  /** Set when the cursor fell out of the window; getAll clears it. */
  #failure: ModelwatchError | undefined;
  #released = false;
  #delivered = 0;
  #readErrors = 0;
  readonly #errors: string[] = [];

  constructor(config: StateBackingConfig) {
    this.#config = config;
  }

  async getAll(store: BackingStore): Promise<number> {
    this.#checkLive();
    const epoch = ++this.#epoch;
    this.#cursor = undefined;
    const snap = await this.#config.source.snapshot();
    if (epoch !== this.#epoch) throw new ModelwatchError('Stopped', 'a newer getAll replaced this one');
    for (const e of snap.entities) store.update(e);
    this.#cursor = snap.rev;
    this.#failure = undefined;
    this.#start();
    this.#kick();
    return snap.rev;
  }

  async changed(store: BackingStore, change: BackingChange): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure;
    const id: EntityId = { kind: change.kind, modelUUID: change.modelUUID, id: change.id };
    const info = await this.#config.source.get(id);
    if (info === undefined) store.remove(id);
    else store.update(info);
  }

  watch(listener: (change: BackingChange) => void): void {
    this.#listeners.add(listener);
  }

  unwatch(listener: (change: BackingChange) => void): void {
    this.#listeners.delete(listener);
  }

  release(): Promise<void> {
    if (!this.#released) {
      this.#released = true;
      this.#epoch++;
      this.#unsubscribe?.();
      this.#unsubscribe = undefined;
      this.#pollTimer?.cancel();
      this.#retryTimer?.cancel();
      this.#config.onRelease(this);
    }
    return Promise.resolve();
  }

  /** The revision up to which listeners have been told (undefined before getAll). */
  get revision(): number | undefined {
    return this.#cursor;
  }

  report(): Record<string, unknown> {
    return {
      revision: this.#cursor ?? null,
      listeners: this.#listeners.size,
      delivered: this.#delivered,
      'read-errors': this.#readErrors,
      ...(this.#failure === undefined ? {} : { 'resync-required': true }),
      ...(this.#errors.length === 0 ? {} : { errors: [...this.#errors] }),
    };
  }

  #start(): void {
    this.#unsubscribe ??= this.#config.source.subscribe((ring) => this.#onRing(ring));
    this.#armPoll();
  }

  #armPoll(): void {
    this.#pollTimer?.cancel();
    this.#pollTimer = this.#config.clock.setTimeout(() => {
      this.#pollTimer = undefined;
      this.#kick();
      this.#armPoll();
    }, this.#config.pollIntervalMs);
  }

  #onRing(ring: Ring): void {
    const cursor = this.#cursor;
    if (cursor === undefined || this.#released || this.#failure !== undefined) return;
    if (ring.rev !== undefined && ring.rev <= cursor) return;
    // In-process fast path: the exact rows of the next revision, with no read in progress.
    if (ring.changes !== undefined && ring.rev === cursor + 1 && !this.#pumping && this.#retryTimer === undefined) {
      this.#deliver(ring.changes);
      return;
    }
    this.#kick();
  }

  #kick(): void {
    if (this.#cursor === undefined || this.#released || this.#retryTimer !== undefined) return;
    void this.#pump();
  }

  /** Reads and delivers until caught up. Only one pump runs; a kick during it runs it again. */
  async #pump(): Promise<void> {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    const epoch = this.#epoch;
    try {
      for (;;) {
        this.#again = false;
        const from = this.#cursor;
        if (from === undefined || this.#failure !== undefined) return;
        const { rows, more } = await this.#config.source.readChangesAfter(from);
        if (epoch !== this.#epoch || this.#cursor !== from) return;
        this.#deliver(rows);
        if (!more && !this.#kickedDuringRead()) break;
      }
      this.#retryMs = 0;
    } catch (err) {
      if (epoch === this.#epoch) this.#readFailed(err);
    } finally {
      this.#pumping = false;
    }
  }

  /** True when a ring or poll arrived while the last read was in flight. */
  #kickedDuringRead(): boolean {
    return this.#again;
  }

  #deliver(rows: readonly StoredChange[]): void {
    const now = this.#config.clock.now();
    let lastRev: number | undefined;
    for (const row of rows) {
      if (row.rev !== lastRev) {
        lastRev = row.rev;
        this.#config.metrics.listenerLagSeconds.observe(Math.max(0, now - row.at) / 1000);
      }
      const change: BackingChange = { kind: row.kind, modelUUID: row.modelUUID, id: row.id, rev: row.rev };
      this.#emit(change);
      this.#delivered++;
    }
    if (lastRev !== undefined) this.#cursor = lastRev;
  }

  #emit(change: BackingChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (err) {
        this.#config.logger.error('backing listener failed', { error: errorMessage(err) });
      }
    }
  }

  #readFailed(err: unknown): void {
    this.#remember(errorMessage(err));
    if (hasCode(err, 'ResyncRequired')) {
      // The worker learns of it through changed(), restarts, and calls getAll again.
      this.#failure = err as ModelwatchError;
      this.#emit({ kind: 'model', modelUUID: NIL_UUID, id: NIL_UUID, rev: this.#cursor ?? 0 });
      return;
    }
    this.#readErrors++;
    this.#config.metrics.readErrors.inc();
    const c = this.#config;
    this.#retryMs = this.#retryMs === 0 ? c.retryMinMs : Math.min(this.#retryMs * 2, c.retryMaxMs);
    c.logger.warn('backing read failed; retrying from its revision', { revision: this.#cursor, retryMs: this.#retryMs, error: errorMessage(err) });
    this.#retryTimer = c.clock.setTimeout(() => {
      this.#retryTimer = undefined;
      this.#kick();
    }, this.#retryMs);
  }

  #remember(message: string): void {
    this.#errors.push(message);
    if (this.#errors.length > 5) this.#errors.shift();
  }

  #checkLive(): void {
    if (this.#released) throw new ModelwatchError('Stopped', 'backing was released');
  }
}
