// One open, logged-in RPC connection: sends calls, routes responses by request id, and fails every
// waiting call once when the socket closes. Redialing is the Session's job, not this one's.
import type { Clock, Logger } from '../core/index.js';
import { ClientError, ConnectionLostError } from './client-error.js';
import type { Credentials } from './credentials.js';
import { loginParams } from './credentials.js';
import type { RpcCall } from './frame-codec.js';
import { decodeResponse, encodeCall, isObject, keyOf } from './frame-codec.js';
import { PendingCalls, connectionClosed } from './pending-calls.js';
import type { RpcSocket, SocketDialer } from './socket.js';

/** What a successful Login told us. */
export interface LoginInfo {
  /** Facade name → versions the server offers this identity. */
  facades: ReadonlyMap<string, readonly number[]>;
  serverVersion: string;
  controllerTag: string;
  /** On model connections. */
  modelTag: string | undefined;
  /** Users only: `{display-name, identity, controller-access, model-access}`. */
  userInfo: Record<string, unknown> | undefined;
  /** [ours] A bearer token to reconnect with, when the Login asked for one and the server issues them. */
  token: string | undefined;
}

/** Inputs of RpcConnection.open. */
export interface OpenConnectionConfig {
  url: string;
  credentials: Credentials;
  dial: SocketDialer;
  clock: Clock;
  logger: Logger;
  dialTimeoutMs: number;
  ca?: string | Uint8Array | undefined;
  /** Ask a password login for a bearer token to reconnect with (LoginInfo.token). */
  issueToken?: boolean;
}

/** See the file comment. */
export class RpcConnection {
  readonly #socket: RpcSocket;
  readonly #pending: PendingCalls;
  readonly #closed: Promise<Error>;
  #login: LoginInfo | undefined;

  private constructor(socket: RpcSocket, pending: PendingCalls, closed: Promise<Error>) {
    this.#socket = socket;
    this.#pending = pending;
    this.#closed = closed;
  }

  /**
   * Opens a socket and logs in, both within `dialTimeoutMs`.
   * @throws ConnectionLostError when the socket fails; ClientError from Login (Unauthorized,
   *   PermissionDenied, NotFound for an unknown model, TryAgain when rate-limited).
   */
  static async open(cfg: OpenConnectionConfig): Promise<RpcConnection> {
    const pending = new PendingCalls();
    let onClosed: (err: Error) => void = () => undefined;
    const closed = new Promise<Error>((resolve) => (onClosed = resolve));
    const abort = new AbortController();
    const timer = cfg.clock.setTimeout(() => abort.abort(new ConnectionLostError(`cannot connect to ${cfg.url}: timed out`)), cfg.dialTimeoutMs);
    try {
      const socket = await cfg.dial(
        cfg.url,
        {
          message: (text) => {
            try {
              const frame = decodeResponse(text);
              if (!pending.settle(frame) && !frame.ok) cfg.logger.warn('unroutable error from server', { error: frame.error.message });
            } catch (err) {
              cfg.logger.warn('dropped a malformed frame from the server', { error: err instanceof Error ? err.message : String(err) });
            }
          },
          close: (detail) => {
            const err = connectionClosed(detail);
            pending.end(err);
            onClosed(err);
          },
        },
        { ca: cfg.ca, signal: abort.signal },
      );
      const conn = new RpcConnection(socket, pending, closed);
      try {
        const result = await conn.call({ type: 'Admin', version: 3, request: 'Login', params: loginParams(cfg.credentials, { issueToken: cfg.issueToken === true }) }, abort.signal);
        conn.#login = parseLogin(result);
      } catch (err) {
        conn.close();
        throw err;
      }
      return conn;
    } finally {
      timer.cancel();
    }
  }

  /** The Login result. */
  get login(): LoginInfo {
    if (this.#login === undefined) throw new ClientError('Internal', 'not logged in');
    return this.#login;
  }

  /** Resolves (never rejects) with the reason once the socket has closed. */
  get closed(): Promise<Error> {
    return this.#closed;
  }

  /** True once the socket closed. */
  get isClosed(): boolean {
    return this.#pending.ended !== undefined;
  }

  /**
   * Makes one call. An aborted signal rejects it at once (a late response is dropped).
   * @throws ClientError from the server; ConnectionLostError when the socket closes first.
   */
  call(call: RpcCall, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const { requestId, response } = this.#pending.start(signal);
    if (this.#pending.ended === undefined && signal?.aborted !== true) {
      try {
        this.#socket.send(encodeCall(requestId, call));
      } catch (err) {
        this.#pending.fail(requestId, new ConnectionLostError(`cannot send: ${err instanceof Error ? err.message : String(err)}`));
      }
    }
    return response;
  }

  /** The highest version of `facade` both sides know; undefined when none. */
  versionOf(facade: string, known: readonly number[]): number | undefined {
    const offered = this.login.facades.get(facade);
    if (offered === undefined) return undefined;
    const common = known.filter((v) => offered.includes(v));
    return common.length === 0 ? undefined : Math.max(...common);
  }

  /** Closes the socket; waiting calls fail with ConnectionLostError. */
  close(): void {
    this.#pending.end(connectionClosed('closed by client'));
    this.#socket.close();
  }
}

function parseLogin(result: Record<string, unknown>): LoginInfo {
  const facades = new Map<string, number[]>();
  const list = keyOf(result, 'facades');
  if (Array.isArray(list)) {
    for (const f of list) {
      if (!isObject(f)) continue;
      const name = keyOf(f, 'name');
      const versions = keyOf(f, 'versions');
      if (typeof name === 'string' && Array.isArray(versions)) facades.set(name, versions.filter((v): v is number => typeof v === 'number'));
    }
  }
  const str = (k: string): string => {
    const v = keyOf(result, k);
    return typeof v === 'string' ? v : '';
  };
  const modelTag = keyOf(result, 'model-tag');
  const userInfo = keyOf(result, 'user-info');
  const token = str('token');
  return {
    facades,
    serverVersion: str('server-version'),
    controllerTag: str('controller-tag'),
    modelTag: typeof modelTag === 'string' ? modelTag : undefined,
    userInfo: isObject(userInfo) ? userInfo : undefined,
    token: token === '' ? undefined : token,
  };
}
