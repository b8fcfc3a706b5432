// Coalesced NOTIFY after commits: the payload is the latest revision only, and a controller sends at
// most one per `coalesceMs` (STYLE §10), outside the writers' transactions so that writers never queue
// on PostgreSQL's notification lock. A lost or late NOTIFY only delays readers (they also poll).
import type { Pool } from 'pg';
import type { Clock, Logger, TimerHandle } from '../../core/index.js';
import { errorMessage } from '../../core/index.js';

/** The channel every controller LISTENs on. */
export const CHANGES_CHANNEL = 'modelwatch_changes';

export class Notifier {
  readonly #pool: Pool;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #coalesceMs: number;
  /** Highest committed revision not yet announced; undefined when nothing is pending. */
  #pendingRev: number | undefined;
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #timer: TimerHandle | undefined;
  #sending = false;
  #sent = 0;
  #closed = false;

  constructor(pool: Pool, clock: Clock, logger: Logger, coalesceMs: number) {
    this.#pool = pool;
    this.#clock = clock;
    this.#logger = logger;
    this.#coalesceMs = coalesceMs;
  }

  get sent(): number {
    return this.#sent;
  }

  /** Announces `rev` now, or with the next coalesced NOTIFY. */
  committed(rev: number): void {
    if (this.#closed) return;
    this.#pendingRev = Math.max(rev, this.#pendingRev ?? 0);
    this.#schedule();
  }

  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #scheduleUnlessClosed(): void {
    if (!this.#closed) this.#schedule();
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#sending || this.#pendingRev === undefined) return;
    const wait = this.#lastSentAt + this.#coalesceMs - this.#clock.now();
    if (wait <= 0) {
      void this.#send();
      return;
    }
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      void this.#send();
    }, wait);
  }

  async #send(): Promise<void> {
    const rev = this.#pendingRev;
    if (rev === undefined || this.#closed) return;
    this.#pendingRev = undefined;
    this.#sending = true;
    this.#lastSentAt = this.#clock.now();
    try {
      await this.#pool.query({ name: 'mw_state_notify', text: 'SELECT pg_notify($1, $2)', values: [CHANGES_CHANNEL, String(rev)] });
      this.#sent++;
    } catch (err) {
      this.#logger.warn('state NOTIFY failed; readers will poll', { rev, error: errorMessage(err) });
    } finally {
      this.#sending = false;
      this.#scheduleUnlessClosed();
    }
  }
}
