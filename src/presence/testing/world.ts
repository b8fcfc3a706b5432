// A test world for presence scenarios: one ManualClock, a store (wrapped in a FaultyPresenceStore),
// one PingBatcher, and helpers to make pingers and watchers and to move time. Used by the shared
// scenario suite on every backend; `settle` lets real I/O (SQLite, PostgreSQL) finish between timers.
import { randomUUID } from 'node:crypto';
import { ManualClock, MemoryLogger, seededRandom } from '../../core/index.js';
import { PingBatcher } from '../ping-batcher.js';
import { Pinger } from '../pinger.js';
import { PresenceWatcher } from '../presence-watcher.js';
import type { PresenceWatcherConfig } from '../presence-watcher.js';
import type { Change, PresenceStore } from '../store.js';
import { FaultyPresenceStore } from './faulty-store.js';

/** Slot-aligned start time for P = 30 s (1.8e12 ms is a multiple of 30 000). */
export const BASE_MS = 1_800_000_000_000;

/** What a backend gives the shared suites. */
export interface PresenceHarness {
  store: PresenceStore;
  /** Lets pending I/O callbacks run (memory: one macrotask; SQL: a short real wait). */
  settle(): Promise<void>;
  /** True when every store call completes within one settle(), so event times can be asserted. */
  exactTiming: boolean;
  close(): Promise<void>;
}

/** A change seen by a listener, with the clock time of its delivery (s since BASE_MS). */
export interface SeenChange extends Change {
  at: number;
}

export class World {
  readonly clock = new ManualClock(BASE_MS);
  readonly logger = new MemoryLogger();
  readonly store: FaultyPresenceStore;
  /** Fresh models per world, so worlds can share one database. */
  readonly modelA = randomUUID();
  readonly modelB = randomUUID();
  readonly batcher: PingBatcher;
  readonly #settle: () => Promise<void>;
  readonly #workers: { stop(): Promise<void> }[] = [];

  constructor(h: PresenceHarness, opts: { flushInterval?: number } = {}) {
    this.store = new FaultyPresenceStore(h.store);
    this.#settle = () => h.settle();
    this.batcher = new PingBatcher({
      store: this.store, flushInterval: opts.flushInterval ?? 1000, clock: this.clock, logger: this.logger, random: seededRandom(7),
    });
  }

  /** Seconds since BASE_MS. */
  get t(): number {
    return (this.clock.now() - BASE_MS) / 1000;
  }

  pinger(key: string, modelUUID = this.modelA, period?: number): Pinger {
    const p = new Pinger({
      store: this.store, modelUUID, key, clock: this.clock, recorder: () => this.batcher, logger: this.logger,
      ...(period === undefined ? {} : { period }),
    });
    this.#workers.push(p);
    return p;
  }

  watcher(modelUUID = this.modelA, cfg: Partial<PresenceWatcherConfig> = {}): PresenceWatcher {
    const w = new PresenceWatcher({ store: this.store, modelUUID, clock: this.clock, logger: this.logger, random: seededRandom(11), ...cfg });
    this.#workers.push({ stop: () => w.stop().catch(() => undefined) });
    return w;
  }

  /** Registers a listener that records what it sees, with delivery times. */
  record(w: PresenceWatcher, key: string): SeenChange[] {
    const seen: SeenChange[] = [];
    w.watch(key, (c) => seen.push({ ...c, at: this.t }));
    return seen;
  }

  /** Moves the clock by ms, timer by timer, settling I/O between them. */
  advance(ms: number): Promise<void> {
    return this.clock.advanceAsync(ms, this.#settle);
  }

  /** Moves the clock to `sec` seconds after BASE_MS. */
  advanceTo(sec: number): Promise<void> {
    return this.advance(BASE_MS + sec * 1000 - this.clock.now());
  }

  /** batcher.sync(), moving the clock over its sync delay. */
  async flush(): Promise<void> {
    const done = this.batcher.sync();
    await this.advance(10);
    await done;
  }

  /** Settles I/O until `cond` holds, without moving the clock (bounded by `rounds`). */
  async until(cond: () => boolean, rounds = 400): Promise<boolean> {
    for (let i = 0; i < rounds && !cond(); i++) await this.#settle();
    return cond();
  }

  async close(): Promise<void> {
    for (const w of this.#workers) await w.stop();
    await this.batcher.stop().catch(() => undefined);
  }
}

/** Only the alive values of recorded changes, for compact assertions. */
export const alives = (seen: readonly Change[]): boolean[] => seen.map((c) => c.alive);
