// The LISTEN side of the doorbell: one dedicated connection per controller that turns NOTIFYs into
// rings. When the connection drops it reconnects with exponential back-off (on the Clock) and rings
// once connected, so every backing re-reads the log from its own revision: nothing is lost while down.
import pg from 'pg';
import type { ClientConfig } from 'pg';
import type { Clock, Logger, TimerHandle } from '../../core/index.js';
import { asError, errorMessage } from '../../core/index.js';
import type { Ring } from '../driver.js';
import { CHANGES_CHANNEL } from './notifier.js';

export interface ChangeListenerConfig {
  connection: ClientConfig;
  clock: Clock;
  logger: Logger;
  retryMinMs: number;
  retryMaxMs: number;
  onRing: (ring: Ring) => void;
  onReconnect: () => void;
}

export class ChangeListener {
  readonly #config: ChangeListenerConfig;
  #client: pg.Client | undefined;
  /** Incremented per connection attempt; events of an older client are ignored. */
  #generation = 0;
  #retryMs = 0;
  #timer: TimerHandle | undefined;
  #connected = false;
  #started = false;
  #closed = false;
  #reconnects = 0;
  #lastError: string | undefined;

  constructor(config: ChangeListenerConfig) {
    this.#config = config;
  }

  /** Connects (once); later calls do nothing. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    void this.#connect();
  }

  report(): Record<string, unknown> {
    return {
      connected: this.#connected,
      reconnects: this.#reconnects,
      ...(this.#lastError === undefined ? {} : { 'last-error': this.#lastError }),
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    const client = this.#client;
    this.#client = undefined;
    this.#connected = false;
    if (client !== undefined) await client.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    const generation = ++this.#generation;
    const client = new pg.Client(this.#config.connection);
    this.#client = client;
    client.on('notification', (msg) => {
      if (generation !== this.#generation || msg.channel !== CHANGES_CHANNEL) return;
      const rev = Number(msg.payload);
      this.#config.onRing(Number.isSafeInteger(rev) ? { rev } : {});
    });
    const dropped = (err?: Error): void => this.#dropped(generation, client, err);
    client.on('error', dropped);
    client.on('end', () => dropped());
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (err) {
      dropped(asError(err));
      return;
    }
    if (generation !== this.#generation || this.#closed) return;
    this.#connected = true;
    this.#retryMs = 0;
    // Anything committed while we were not listening: every backing re-reads from its revision.
    this.#config.onRing({});
  }

  #dropped(generation: number, client: pg.Client, err: Error | undefined): void {
    if (generation !== this.#generation || this.#closed) return;
    this.#generation++; // later events of this client are stale
    this.#connected = false;
    this.#lastError = err === undefined ? 'connection ended' : errorMessage(err);
    client.end().catch(() => undefined);
    this.#retryMs = this.#retryMs === 0 ? this.#config.retryMinMs : Math.min(this.#retryMs * 2, this.#config.retryMaxMs);
    this.#config.logger.warn('state LISTEN connection lost; reconnecting', { error: this.#lastError, retryMs: this.#retryMs });
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#reconnects++;
      this.#config.onReconnect();
      void this.#connect();
    }, this.#retryMs);
  }

  get #clock(): Clock {
    return this.#config.clock;
  }
}
