// A client-side watcher over a server watcher that is long-polled with `Next`: an async iterable
// that survives dropped connections and server-side stops by starting a new server watcher (the
// driver resumes it from what was already delivered). Stop and dispose end it from anywhere.
import { ModelwatchError, sleep } from '../core/index.js';
import type { Clock, Logger, Random } from '../core/index.js';
import { backoffDelayMs } from './backoff.js';
import type { BackoffLimits } from './backoff.js';
import type { RpcConnection } from './rpc-connection.js';
import { recoveryFor } from './restart-policy.js';
import type { Session } from './session.js';

/** The text a stopped client watcher fails `next()` with (as the server's). */
export const WATCHER_STOPPED = 'watcher was stopped';

/** A watcher of batches: iterate it with `for await`, or call next(); stop() ends it. */
export interface Watcher<T> extends AsyncIterable<T>, AsyncDisposable {
  /** The next batch. @throws ModelwatchError Stopped `watcher was stopped` after stop(). */
  next(): Promise<T>;
  /** Stops the watcher (idempotent): a pending next() ends; the server watcher is stopped. */
  stop(): Promise<void>;
}

/** The protocol-specific half of a watcher: how to start it and read a Next result. */
export interface WatchDriver<T> {
  /** Starts a server watcher on `conn`, returning its id. */
  start(conn: RpcConnection, signal: AbortSignal): Promise<{ id: string; type: string; version: number }>;
  /** Turns a Next result into a batch; undefined skips it (nothing new for the consumer). */
  accept(result: Record<string, unknown>): T | undefined;
}

/** What a ResumableWatcher needs. */
export interface ResumableWatcherConfig<T> {
  session: Session;
  driver: WatchDriver<T>;
  clock: Clock;
  random: Random;
  logger: Logger;
  limits: BackoffLimits;
  /** Aborting stops the watcher. */
  signal?: AbortSignal | undefined;
}

/** See the file comment. */
export class ResumableWatcher<T> implements Watcher<T> {
  readonly #cfg: ResumableWatcherConfig<T>;
  /** The server watcher, tied to the connection it was started on. */
  #server: { conn: RpcConnection; id: string; type: string; version: number } | undefined;
  /** Server-side restarts in a row, for the back-off; reset by a delivered batch. */
  #restarts = 0;
  readonly #stopping = new AbortController();
  /** The previous next(); the following one starts after it settles (one poll at a time). */
  #chain: Promise<unknown> = Promise.resolve();

  constructor(cfg: ResumableWatcherConfig<T>) {
    this.#cfg = cfg;
    const outer = cfg.signal;
    if (outer !== undefined) {
      if (outer.aborted) this.#stopping.abort(stoppedError());
      else outer.addEventListener('abort', () => void this.stop(), { once: true });
    }
  }

  /** True after stop(). A method, not a getter: it changes across awaits, which narrowing ignores. */
  isStopped(): boolean {
    return this.#stopping.signal.aborted;
  }

  next(): Promise<T> {
    const run = (): Promise<T> => this.#poll();
    const p = this.#chain.then(run, run);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  async stop(): Promise<void> {
    if (this.isStopped()) return;
    this.#stopping.abort(stoppedError());
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined && !server.conn.isClosed) {
      await server.conn.call({ type: server.type, version: server.version, request: 'Stop', id: server.id }).catch(() => undefined);
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: async (): Promise<IteratorResult<T>> => {
        try {
          return { done: false, value: await this.next() };
        } catch (err) {
          if (this.isStopped()) return { done: true, value: undefined };
          throw err;
        }
      },
      return: async (): Promise<IteratorResult<T>> => {
        await this.stop();
        return { done: true, value: undefined };
      },
    };
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  async #poll(): Promise<T> {
    const { session, driver, clock, random, limits, logger } = this.#cfg;
    const signal = this.#stopping.signal;
    for (;;) {
      if (this.isStopped()) throw stoppedError();
      // 1. A connection: the session redials with back-off, so what it throws no retry can fix.
      const conn = await session.connection(signal).catch((err: unknown) => {
        throw this.isStopped() ? stoppedError() : err;
      });
      try {
        // 2. A server watcher on it, 3. Next.
        if (this.#server?.conn !== conn) this.#server = { conn, ...(await driver.start(conn, signal)) };
        const { id, type, version } = this.#server;
        const result = await conn.call({ type, version, request: 'Next', id }, signal);
        const batch = driver.accept(result);
        this.#restarts = 0;
        if (batch !== undefined) return batch;
      } catch (err) {
        if (this.isStopped()) throw stoppedError();
        const recovery = recoveryFor(err);
        if (recovery === 'fail') throw err;
        this.#server = undefined;
        if (recovery === 'restart') {
          this.#restarts++;
          const delayMs = backoffDelayMs(this.#restarts, random, limits);
          logger.warn('server watcher failed; starting a new one', { error: err instanceof Error ? err.message : String(err), delayMs });
          await sleep(clock, delayMs, signal).catch(() => undefined);
        }
      }
    }
  }
}

/** The error next() throws once the watcher is stopped. */
export function stoppedError(): ModelwatchError {
  return new ModelwatchError('Stopped', WATCHER_STOPPED);
}
