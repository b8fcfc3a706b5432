// Group commit for one process's PostgreSQL writes. Every write takes the revision counter's row
// lock, so a process gains nothing from running its writes side by side: they queue on that lock,
// and each pays a statement, a commit and a wake-up on a machine whose cores are shared with the
// server. Instead one batch is in flight per process (statement and durability barrier); the
// applies that arrive meanwhile are queued and sent together as ONE statement (postgres/sql.ts) in
// which each plan keeps its own revision, in arrival order. A batch holds only plans that share no entity and remove no model, so
// the union is itself a disjoint plan written in one pass in key order (the lock order of a single
// writer) and each changed row names its plan. A plan that overlaps the batch, or cascades, waits
// for the next one, so plans of one process still commit in the order apply was called.
// Every plan was validated before it was queued; if a batch still fails with an error that left it
// without effect, its plans are retried one by one, in order, so only the faulty one fails.
import { entityKey } from '../../core/index.js';
import type { WritePlan } from '../plan.js';

/** One apply waiting for its batch. */
export interface QueuedWrite {
  readonly plan: WritePlan;
  readonly atMs: number;
}

export interface WriteBatcherConfig<R> {
  /** Writes a batch in one statement; resolves with one committed (not yet durable) result per entry. */
  execute(batch: readonly QueuedWrite[]): Promise<R[]>;
  /** After the statement: waits for durability and announces; no-ops get the current revision. */
  settle(results: R[]): Promise<R[]>;
  /** True when a failed batch had no effect, so its plans may be retried one by one. */
  hadNoEffect(err: unknown): boolean;
  /** At most this many plans per batch. */
  maxPlans: number;
  /** At most this many entities (sets plus removes) per batch, unless one plan alone is larger. */
  maxRows: number;
}

interface Pending<R> extends QueuedWrite {
  resolve(result: R): void;
  reject(err: unknown): void;
  /** Set when a batch holding it failed without effect: it is retried in a batch of its own. */
  alone?: boolean;
}

export class WriteBatcher<R> {
  readonly #config: WriteBatcherConfig<R>;
  /** Applies not yet sent, in call order. */
  #queue: Pending<R>[] = [];
  /** True from a batch's statement until its callers were resolved and had one turn to apply again. */
  #writing = false;
  #batches = 0;
  #plans = 0;

  constructor(config: WriteBatcherConfig<R>) {
    this.#config = config;
  }

  write(plan: WritePlan, atMs: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ plan, atMs, resolve, reject });
      this.#pump();
    });
  }

  report(): Record<string, unknown> {
    return { batches: this.#batches, 'batched-plans': this.#plans, queued: this.#queue.length };
  }

  #pump(): void {
    if (this.#writing || this.#queue.length === 0) return;
    const batch = this.#takeBatch();
    this.#writing = true;
    this.#batches++;
    this.#plans += batch.length;
    void this.#run(batch);
  }

  async #run(batch: Pending<R>[]): Promise<void> {
    let results: R[];
    try {
      results = await this.#config.execute(batch);
    } catch (err) {
      if (batch.length > 1 && this.#config.hadNoEffect(err)) {
        // Back to the head of the queue, in order, each to be written alone.
        for (const p of batch) p.alone = true;
        this.#queue.unshift(...batch);
      } else {
        for (const p of batch) p.reject(err);
      }
      this.#writing = false;
      this.#pump();
      return;
    }
    // The slot stays taken through the durability wait, and one more turn of the event loop after
    // the callers were resolved: callers that apply again at once (the usual loop) then join the
    // next batch together, instead of the first of them leaving alone with the rest behind it.
    // Overlapping the next statement with this wait instead measured a third fewer txn/s at 4
    // processes × 8 writers: batches of ~4 instead of ~8, each costing two round trips.
    await this.#settle(batch, results);
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.#writing = false;
    this.#pump();
  }

  async #settle(batch: Pending<R>[], results: R[]): Promise<void> {
    try {
      const settled = await this.#config.settle(results);
      batch.forEach((p, i) => p.resolve(settled[i] as R));
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }

  /** The longest prefix of the queue that can share one statement (at least one plan). */
  #takeBatch(): Pending<R>[] {
    const first = this.#queue[0] as Pending<R>;
    if (first.alone === true || first.plan.cascades.length > 0) return this.#queue.splice(0, 1);
    const keys = new Set<string>();
    let rows = 0;
    let n = 0;
    for (const p of this.#queue) {
      if (n >= this.#config.maxPlans || p.alone === true || p.plan.cascades.length > 0) break;
      const size = p.plan.sets.length + p.plan.removes.length;
      if (n > 0 && rows + size > this.#config.maxRows) break;
      const own = [...p.plan.sets, ...p.plan.removes].map(entityKey);
      if (own.some((k) => keys.has(k))) break;
      for (const k of own) keys.add(k);
      rows += size;
      n++;
    }
    return this.#queue.splice(0, n);
  }
}
