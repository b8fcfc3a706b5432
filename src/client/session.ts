// A Session is one logical connection to one endpoint (`/api` or `/model/<uuid>/api`): it dials on
// demand, logs in, and after the socket drops dials again with jittered exponential back-off
// (reset only by a connection that stayed up for `stableAfterMs`, not by a login alone).
// Watchers ask it for the current connection and resume on the new one themselves.
import { sleep } from '../core/index.js';
import type { Clock, Logger, Random, TimerHandle } from '../core/index.js';
import { backoffDelayMs } from './backoff.js';
import { ClientError, isRetryable } from './client-error.js';
import type { Credentials } from './credentials.js';
import { withToken } from './credentials.js';
import type { RpcCall } from './frame-codec.js';
import type { ClientLimits } from './limits.js';
import { RpcConnection } from './rpc-connection.js';
import type { SocketDialer } from './socket.js';

/** What a session tells its observer (the CLI prints these on stderr). */
export type SessionEvent =
  | { type: 'connected'; url: string; reconnect: boolean }
  | { type: 'disconnected'; url: string; reason: string }
  | { type: 'retrying'; url: string; attempt: number; delayMs: number; reason: string };

/** Inputs of a Session. */
export interface SessionConfig {
  url: string;
  credentials: Credentials;
  dial: SocketDialer;
  clock: Clock;
  random: Random;
  logger: Logger;
  limits: ClientLimits;
  ca?: string | Uint8Array | undefined;
  onEvent?: ((e: SessionEvent) => void) | undefined;
  /**
   * After a password login, reconnect with a bearer token the server issued for it (default true;
   * a modelwatch extension that Juju controllers ignore). A reconnect then costs the controller a
   * hash lookup instead of an scrypt verification, which matters when a whole fleet reconnects
   * after a restart. A refused token (expired, revoked by a password change) falls back to the
   * password at once.
   */
  reconnectWithToken?: boolean | undefined;
}

/** The error every call gets after close(). */
export function clientClosedError(): ClientError {
  return new ClientError('Stopped', 'client closed');
}

/** See the file comment. */
export class Session {
  readonly #cfg: SessionConfig;
  /** The open connection; undefined while dialing or after it closed. */
  #conn: RpcConnection | undefined;
  /** The dial in progress, shared by every caller that waits for a connection. */
  #dialing: Promise<RpcConnection> | undefined;
  /**
   * Failed dials in a row, counting connections that closed before `stableAfterMs`: drives the
   * back-off. Reset only when a connection has stayed up that long (#stableTimer fired).
   */
  #failures = 0;
  /** Armed while the current connection is younger than `stableAfterMs`; undefined otherwise. */
  #stableTimer: TimerHandle | undefined;
  #everConnected = false;
  /** The bearer token the last password login was given (reconnectWithToken); never logged. */
  #token: string | undefined;
  readonly #closing = new AbortController();

  constructor(cfg: SessionConfig) {
    this.#cfg = cfg;
  }

  /** The endpoint URL. */
  get url(): string {
    return this.#cfg.url;
  }

  /** True after close(). A method, not a getter: it changes across awaits, which narrowing ignores. */
  isClosed(): boolean {
    return this.#closing.signal.aborted;
  }

  /**
   * The current connection, dialing (with back-off) when there is none.
   * @throws ClientError for a failure that retrying cannot fix (bad credentials, no access,
   *   unknown model), Stopped `client closed` after close(), or the signal's reason.
   */
  connection(signal?: AbortSignal): Promise<RpcConnection> {
    if (this.isClosed()) return Promise.reject(clientClosedError());
    const conn = this.#conn;
    if (conn !== undefined && !conn.isClosed) return Promise.resolve(conn);
    this.#dialing ??= this.#dialLoop().finally(() => (this.#dialing = undefined));
    return withSignal(this.#dialing, signal);
  }

  /**
   * Dials once, without retrying: for callers that want a clear error now (a CLI started while
   * the controller is down) rather than a wait. A later connection() reuses the connection.
   * @throws ConnectionLostError or the Login's ClientError.
   */
  async open(): Promise<RpcConnection> {
    if (this.isClosed()) throw clientClosedError();
    const existing = this.#conn;
    if (existing !== undefined && !existing.isClosed) return existing;
    const conn = await this.#openOnce();
    this.#adopt(conn);
    return conn;
  }

  /** One call on the current connection; no retry (the caller decides). */
  async call(call: RpcCall, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const conn = await this.connection(signal);
    return conn.call(call, signal);
  }

  /** Closes the connection and stops redialing; waiting callers get `client closed`. */
  close(): void {
    if (this.isClosed()) return;
    this.#closing.abort(clientClosedError());
    this.#stableTimer?.cancel();
    this.#stableTimer = undefined;
    this.#conn?.close();
    this.#conn = undefined;
  }

  async #dialLoop(): Promise<RpcConnection> {
    const { clock, random, limits, url } = this.#cfg;
    let lastReason = '';
    for (;;) {
      if (this.#failures > 0) {
        const delayMs = backoffDelayMs(this.#failures, random, limits);
        this.#cfg.onEvent?.({ type: 'retrying', url, attempt: this.#failures, delayMs, reason: lastReason });
        await sleep(clock, delayMs, this.#closing.signal);
      }
      if (this.isClosed()) throw clientClosedError();
      try {
        const conn = await this.#openOnce();
        this.#adopt(conn);
        return conn;
      } catch (err) {
        this.#failures++;
        if (this.isClosed()) throw clientClosedError();
        if (!isRetryable(err)) throw err;
        lastReason = err instanceof Error ? err.message : String(err);
        this.#cfg.logger.debug('dial failed', { url, attempt: this.#failures, error: lastReason });
      }
    }
  }

  /**
   * Dials and logs in once: with the token of an earlier password login when there is one (a
   * refused token is dropped and the password tried at once), else with the configured
   * credentials, asking for a token when they hold a password and reconnectWithToken is on.
   */
  async #openOnce(): Promise<RpcConnection> {
    const cfg = this.#cfg;
    const dialTimeoutMs = cfg.limits.dialTimeoutMs;
    const token = this.#token;
    if (token !== undefined) {
      try {
        return await RpcConnection.open({ ...cfg, credentials: withToken(cfg.credentials, token), dialTimeoutMs, issueToken: false });
      } catch (err) {
        if (!(err instanceof ClientError && err.code === 'Unauthorized')) throw err;
        if (this.#token === token) this.#token = undefined;
        cfg.logger.debug('reconnect token refused; logging in with the password', { url: cfg.url });
      }
    }
    const issueToken = cfg.reconnectWithToken !== false && !('token' in cfg.credentials);
    return RpcConnection.open({ ...cfg, dialTimeoutMs, issueToken });
  }

  #adopt(conn: RpcConnection): void {
    if (this.isClosed()) {
      conn.close();
      throw clientClosedError();
    }
    const token = conn.login.token;
    if (token !== undefined) this.#token = token;
    this.#conn = conn;
    this.#stableTimer?.cancel();
    this.#stableTimer = this.#cfg.clock.setTimeout(() => {
      this.#stableTimer = undefined;
      if (this.#conn === conn) this.#failures = 0;
    }, this.#cfg.limits.stableAfterMs);
    this.#cfg.onEvent?.({ type: 'connected', url: this.#cfg.url, reconnect: this.#everConnected });
    this.#everConnected = true;
    void conn.closed.then((reason) => this.#onClosed(conn, reason));
  }

  #onClosed(conn: RpcConnection, reason: Error): void {
    if (this.#conn !== conn) return;
    this.#conn = undefined;
    if (this.#stableTimer !== undefined) {
      // Closed before it was stable: the next dial backs off as after a failed one.
      this.#stableTimer.cancel();
      this.#stableTimer = undefined;
      this.#failures++;
    }
    if (!this.isClosed()) this.#cfg.onEvent?.({ type: 'disconnected', url: this.#cfg.url, reason: reason.message });
  }
}

/** Rejects at once when the signal aborts; the shared promise itself is left alone. */
function withSignal<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return p;
  if (signal.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : clientClosedError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : clientClosedError());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
