// The LISTEN side of the PostgreSQL presence doorbell: one dedicated connection, started on the
// first subscriber, reconnected with back-off; after a reconnect every subscriber hears `*` (rings
// may have been missed meanwhile; a watcher's periodic read would catch up anyway).
import pg from 'pg';
import { errorMessage } from '../../core/index.js';
import type { Clock, Logger, TimerHandle } from '../../core/index.js';
import type { RingListener } from '../../presence/index.js';

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

export interface PresenceListenerConfig {
  url: string;
  channel: string;
  clock: Clock;
  logger: Logger;
}

/** See the file comment. */
export class PresenceListener {
  readonly #cfg: PresenceListenerConfig;
  readonly #subscribers = new Set<RingListener>();
  #client: pg.Client | undefined;
  #started = false;
  #closed = false;
  #retryMs = RETRY_MIN_MS;
  #retryTimer: TimerHandle | undefined;
  #stats = { connects: 0, notifications: 0, errors: 0 };

  constructor(cfg: PresenceListenerConfig) {
    this.#cfg = cfg;
  }

  subscribe(listener: RingListener): () => void {
    this.#subscribers.add(listener);
    if (!this.#started) {
      this.#started = true;
      void this.#connect();
    }
    return () => this.#subscribers.delete(listener);
  }

  /** True once LISTEN is in place (for tests that must not race the first notification). */
  get listening(): boolean {
    return this.#client !== undefined;
  }

  report(): Record<string, unknown> {
    return { subscribers: this.#subscribers.size, listening: this.listening, connects: this.#stats.connects, notifications: this.#stats.notifications, errors: this.#stats.errors };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#retryTimer?.cancel();
    const c = this.#client;
    this.#client = undefined;
    await c?.end().catch(() => undefined);
  }

  /** A method, not the field: close() may run while connect() awaits. */
  #isClosed(): boolean {
    return this.#closed;
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client({ connectionString: this.#cfg.url });
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client, new Error('connection ended')));
    client.on('notification', (msg) => {
      if (msg.channel !== this.#cfg.channel) return;
      this.#stats.notifications++;
      this.#deliver(msg.payload ?? '*');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.#cfg.channel}`);
    } catch (err) {
      this.#lost(client, err);
      return;
    }
    if (this.#isClosed()) {
      await client.end().catch(() => undefined);
      return;
    }
    const reconnected = this.#stats.connects > 0;
    this.#stats.connects++;
    this.#client = client;
    this.#retryMs = RETRY_MIN_MS;
    if (reconnected) this.#deliver('*');
  }

  #lost(client: pg.Client, err: unknown): void {
    if (this.#closed || (this.#client !== undefined && this.#client !== client)) return;
    if (this.#retryTimer !== undefined) return;
    this.#client = undefined;
    this.#stats.errors++;
    this.#cfg.logger.warn('presence LISTEN connection lost; reconnecting', { error: errorMessage(err), retryMs: this.#retryMs });
    client.end().catch(() => undefined);
    this.#retryTimer = this.#cfg.clock.setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#connect();
    }, this.#retryMs);
    this.#retryMs = Math.min(RETRY_MAX_MS, this.#retryMs * 2);
  }

  #deliver(model: string): void {
    for (const l of [...this.#subscribers]) {
      try {
        l(model);
      } catch (err) {
        this.#cfg.logger.warn('presence ring listener failed', { error: errorMessage(err) });
      }
    }
  }
}
