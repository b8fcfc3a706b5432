// Durability barrier for asynchronously committed writes. Writers commit with
// synchronous_commit=off so the revision counter's row lock is never held across an fsync; a
// transactional WAL message committed synchronously afterwards flushes the WAL past every earlier
// commit record. Concurrent barriers share fsyncs (group commit), and callers in one process share
// barriers: one in flight serves everyone who asked before it started.
import type { Pool } from 'pg';

export class FlushBarrier {
  readonly #pool: Pool;
  /** The barrier running now; it covers only callers that arrived before it started. */
  #inFlight: Promise<void> | undefined;
  /** The barrier that starts when #inFlight settles; shared by everyone arriving meanwhile. */
  #next: Promise<void> | undefined;
  #count = 0;

  /** `pool` must commit synchronously (the default synchronous_commit=on). */
  constructor(pool: Pool) {
    this.#pool = pool;
  }

  /** Barriers run so far. */
  get count(): number {
    return this.#count;
  }

  /** Resolves once every commit that completed before this call is durable. */
  wait(): Promise<void> {
    if (this.#inFlight === undefined) return this.#start();
    this.#next ??= this.#inFlight
      .catch(() => undefined)
      .then(() => {
        this.#next = undefined;
        return this.#start();
      });
    return this.#next;
  }

  #start(): Promise<void> {
    this.#count++;
    // Named: parsed and planned once per connection, not per barrier.
    const p = this.#pool.query({ name: 'mw_state_barrier', text: "SELECT pg_logical_emit_message(true, 'modelwatch', '')" }).then(() => undefined);
    this.#inFlight = p;
    const clear = (): void => {
      if (this.#inFlight === p) this.#inFlight = undefined;
    };
    p.then(clear, clear);
    return p;
  }
}
