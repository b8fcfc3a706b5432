// One WebSocket RPC connection (spec/protocol.md §1–§3, §9): reads frames within the size limits,
// dispatches every request at once (a blocked Next never delays Stop or Ping), writes answers in
// any order, and enforces the per-connection limits, the login timeout, keepalive and a bounded
// send queue. Closing stops every watcher and ends the agent's presence.
import type { RawData, WebSocket } from 'ws';
import { errorMessage } from '../../core/index.js';
import type { Logger, TimerHandle } from '../../core/index.js';
import { WatcherTable } from '../facades/index.js';
import type { ConnectionKind, FacadeContext } from '../facades/index.js';
import { presenceKeyOf } from '../auth/tags.js';
import type { ApiLimits, ControllerServices, Identity } from '../services.js';
import { AgentPresence } from './agent-presence.js';
import { dispatch, requestMetricsOf } from './dispatch.js';
import { decodeRequest, encodeError, encodeResult, scanRequestId } from './envelope.js';
import type { RpcRequest } from './envelope.js';
import { Keepalive } from './keepalive.js';
import { requestMetricsFor, rpcMetricsFor } from './metrics.js';
import type { RpcMetrics } from './metrics.js';
import { RpcError, rpcErrors, toRpcError } from './rpc-error.js';

/** A served connection, as the HTTP server holds it. */
export interface RpcConnection {
  /** The model of a `/model/<uuid>/api` connection (verbatim from the path), else undefined. */
  readonly modelUUID: string | undefined;
  /** Controller shutdown: stops watchers and agent pingers (not killed), closes with 1001. */
  close(): Promise<void>;
  /** The connection's model was removed: stops its watchers and agent presence, closes with 1001 "model removed". */
  modelRemoved(): void;
  report(): Record<string, unknown>;
}

/** Where the connection came from. */
export interface RpcConnectionInfo {
  /** The upgraded path: `/api` or `/model/<uuid>/api` (a query string is ignored). */
  path: string;
  remoteAddress: string;
}

/** Failed Logins after which the connection is closed with 1008 (spec §9). */
const MAX_FAILED_LOGINS = 3;
/** The transport hard cap is this multiple of the message limit (spec §2.5): above it, close 1009. */
export const HARD_CAP_FACTOR = 4;
/** Bytes of an oversized message scanned at each end for its request-id (spec §2.5). */
const SCAN_BYTES = 256;

const WS_OPEN = 1;

/** `ws` server options the RPC edge needs: the hard cap as maxPayload, so ws closes with 1009. */
export function rpcServerOptions(limits: ApiLimits): { maxPayload: number } {
  return { maxPayload: HARD_CAP_FACTOR * limits.maxMessageBytes };
}

/** Parses the upgraded path into the connection kind and the model UUID verbatim. */
export function connectionTarget(path: string): { kind: ConnectionKind; modelUUID: string | undefined } {
  const bare = path.split('?')[0] ?? '';
  const m = /^\/model\/([^/]*)\/api\/?$/.exec(bare);
  if (m?.[1] !== undefined) {
    let uuid = m[1];
    try {
      uuid = decodeURIComponent(uuid);
    } catch {
      // keep it verbatim: Login answers `unknown model` for it
    }
    return { kind: 'model', modelUUID: uuid };
  }
  return { kind: 'controller', modelUUID: undefined };
}

/** Serves the RPC protocol on an upgraded socket. Never throws; the socket is the connection's now. */
export function serveRpcConnection(ws: WebSocket, info: RpcConnectionInfo, services: ControllerServices): RpcConnection {
  return new ServedConnection(ws, info, services);
}

class ServedConnection implements RpcConnection, FacadeContext {
  readonly services: ControllerServices;
  readonly kind: ConnectionKind;
  readonly modelUUID: string | undefined;
  readonly remoteAddress: string;
  readonly watchers: WatcherTable;
  readonly #ws: WebSocket;
  readonly #path: string;
  readonly #limits: ApiLimits;
  readonly #logger: Logger;
  readonly #metrics: RpcMetrics;
  readonly #keepalive: Keepalive;
  #identity: Identity | undefined;
  /** Logins run one at a time; the previous one's settling. */
  #loginChain: Promise<unknown> = Promise.resolve();
  #failedLogins = 0;
  /** Set by the third failed Login: close with 1008 once its answer is written. */
  #closeAfterAnswer = false;
  #loginTimer: TimerHandle | undefined;
  #agent: AgentPresence | undefined;
  #inFlight = 0;
  #requests = 0;
  /** Settles when teardown is done; set once (the connection is closed from then on). */
  #teardown: Promise<void> | undefined;

  constructor(ws: WebSocket, info: RpcConnectionInfo, services: ControllerServices) {
    this.services = services;
    this.#ws = ws;
    this.#path = info.path;
    this.remoteAddress = info.remoteAddress;
    const target = connectionTarget(info.path);
    this.kind = target.kind;
    this.modelUUID = target.modelUUID;
    this.#limits = services.limits;
    this.#logger = services.logger;
    this.#metrics = rpcMetricsFor(services.registry);
    this.#metrics.connections.inc({ kind: this.kind });
    this.watchers = new WatcherTable({
      maxWatchers: this.#limits.maxWatchersPerConnection,
      onCountChange: (d, facade) => this.#metrics.watchers.inc({ facade }, d),
    });
    this.#loginTimer = services.clock.setTimeout(() => {
      this.#loginTimer = undefined;
      if (this.#identity === undefined) this.#serverClose(1008, 'login timeout', 'login-timeout');
    }, this.#limits.loginTimeoutMs);
    this.#keepalive = new Keepalive({
      clock: services.clock,
      intervalMs: this.#limits.keepaliveMs,
      ping: () => {
        try {
          this.#ws.ping();
        } catch {
          // the socket is closing; its close event ends the connection
        }
      },
      onDead: () => this.#serverClose(1001, 'keepalive timeout', 'keepalive', true),
    });
    ws.on('message', (data: RawData, isBinary: boolean) => this.#onMessage(data, isBinary));
    ws.on('pong', () => this.#keepalive.heard());
    ws.on('error', (err) => this.#logger.debug('rpc socket error', { 'remote-address': this.remoteAddress, err: err.message }));
    ws.on('close', () => void this.#close('kill'));
    if (ws.readyState !== WS_OPEN) void this.#close('kill');
  }

  identity(): Identity | undefined {
    return this.#identity;
  }

  login(attempt: () => Promise<Identity>): Promise<Identity> {
    const run = async (): Promise<Identity> => {
      if (this.#identity !== undefined) throw rpcErrors.alreadyLoggedIn();
      let identity: Identity;
      try {
        identity = await attempt();
      } catch (err) {
        if (++this.#failedLogins >= MAX_FAILED_LOGINS) this.#closeAfterAnswer = true;
        throw err;
      }
      if (this.#teardown !== undefined) throw new RpcError('connection is closed');
      this.#identity = identity;
      this.#loginTimer?.cancel();
      this.#loginTimer = undefined;
      this.#startPresence(identity);
      return identity;
    };
    const p = this.#loginChain.then(run, run);
    this.#loginChain = p.catch(() => undefined);
    return p;
  }

  close(): Promise<void> {
    const done = this.#close('stop');
    this.#endSocket(1001, 'server shutting down', false);
    return done;
  }

  modelRemoved(): void {
    this.#serverClose(1001, 'model removed', 'model-removed');
  }

  report(): Record<string, unknown> {
    const r: Record<string, unknown> = {
      path: this.#path, kind: this.kind, 'remote-address': this.remoteAddress, identity: this.#identity?.tag ?? '',
      'in-flight': this.#inFlight, requests: this.#requests, watchers: this.watchers.size,
      'failed-logins': this.#failedLogins, 'buffered-bytes': this.#ws.bufferedAmount, closed: this.#teardown !== undefined,
    };
    if (this.modelUUID !== undefined) r['model-uuid'] = this.modelUUID;
    if (this.#agent !== undefined) r.presence = this.#agent.report();
    return r;
  }

  #startPresence(identity: Identity): void {
    if (identity.kind !== 'agent') return;
    const key = presenceKeyOf(identity.agent);
    if (key === undefined) return;
    this.#agent = new AgentPresence(this.services, identity.modelUUID, key);
    this.#agent.start();
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    this.#keepalive.heard();
    if (this.#teardown !== undefined) return;
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    const limit = this.#limits.maxMessageBytes;
    if (buf.length > HARD_CAP_FACTOR * limit) {
      // The server's maxPayload should have done this already (rpcServerOptions).
      this.#serverClose(1009, 'message too big', 'too-big');
      return;
    }
    if (isBinary) {
      this.#answerUnserved(0, rpcErrors.malformedRequest('binary frames are not supported'));
      return;
    }
    if (buf.length > limit) {
      const rid = scanRequestId(buf.subarray(0, SCAN_BYTES).toString('utf8')) || scanRequestId(buf.subarray(-SCAN_BYTES).toString('utf8'));
      this.#answerUnserved(rid, rpcErrors.tooBig(buf.length, limit));
      return;
    }
    const decoded = decodeRequest(buf.toString('utf8'));
    if (!decoded.ok) {
      this.#answerUnserved(decoded.requestId, decoded.error);
      return;
    }
    if (this.#inFlight >= this.#limits.maxRequestsInFlight) {
      this.#answerUnserved(decoded.request.requestId, rpcErrors.tooManyRequests(this.#limits.maxRequestsInFlight));
      return;
    }
    void this.#serve(decoded.request);
  }

  /** Answers a frame that never reached dispatch (bad frame, size, quota). */
  #answerUnserved(requestId: number, err: RpcError): void {
    requestMetricsFor(this.#metrics, 'unknown', 'unknown').outcome(err.errorCode ?? 'error').inc();
    this.#send(encodeError(requestId, err));
  }

  async #serve(req: RpcRequest): Promise<void> {
    this.#inFlight++;
    this.#requests++;
    const started = this.services.clock.now();
    let frame: string;
    let outcome = 'ok';
    try {
      frame = encodeResult(req.requestId, await dispatch(this, req));
    } catch (err) {
      const { error, unexpected } = toRpcError(err);
      if (unexpected) {
        this.#logger.error('rpc request failed', {
          facade: req.type, method: req.request, 'remote-address': this.remoteAddress, err: errorMessage(err),
          stack: err instanceof Error ? err.stack : undefined,
        });
      }
      outcome = error.errorCode ?? 'error';
      frame = encodeError(req.requestId, error);
    } finally {
      this.#inFlight--;
    }
    const metrics = requestMetricsOf(this.#metrics, req);
    metrics.outcome(outcome).inc();
    metrics.latency.observe((this.services.clock.now() - started) / 1000);
    this.#send(frame);
    if (this.#closeAfterAnswer) this.#serverClose(1008, 'too many failed logins', 'failed-logins');
  }

  /** Writes one frame; a peer that is not reading (send buffer over the bound) is cut off. */
  #send(frame: string): void {
    if (this.#teardown !== undefined || this.#ws.readyState !== WS_OPEN) return;
    if (this.#ws.bufferedAmount > this.#limits.maxBufferedBytes) {
      this.#logger.warn('rpc peer not reading; closing', { 'remote-address': this.remoteAddress, 'buffered-bytes': this.#ws.bufferedAmount });
      this.#serverClose(1008, 'send buffer full', 'stalled', true);
      return;
    }
    if (frame.length > this.#limits.maxMessageBytes) {
      // python-libjuju's default max_frame_size is 4 MiB (spec §8.2).
      this.#logger.warn('rpc response larger than the message limit', { 'remote-address': this.remoteAddress, bytes: frame.length });
    }
    this.#ws.send(frame);
  }

  /** A close the server decides on: counts it, ends the socket, tears down as a disconnect. */
  #serverClose(code: number, reason: string, metric: string, terminate = false): void {
    if (this.#teardown !== undefined) return;
    this.#metrics.closes.inc({ reason: metric });
    this.#logger.info('closing rpc connection', { 'remote-address': this.remoteAddress, reason });
    void this.#close('kill');
    this.#endSocket(code, reason, terminate);
  }

  #endSocket(code: number, reason: string, terminate: boolean): void {
    try {
      // A stalled or silent peer cannot take part in a close handshake.
      if (terminate) this.#ws.terminate();
      else this.#ws.close(code, reason);
    } catch {
      this.#ws.terminate();
    }
  }

  /** Idempotent teardown: timers, watchers, the agent's presence (`kill` on disconnect, `stop` on shutdown). */
  #close(mode: 'kill' | 'stop'): Promise<void> {
    if (this.#teardown !== undefined) return this.#teardown;
    this.#loginTimer?.cancel();
    this.#loginTimer = undefined;
    this.#keepalive.stop();
    this.#metrics.connections.dec({ kind: this.kind });
    const agent = this.#agent;
    this.#teardown = (async () => {
      await this.watchers.close();
      await agent?.close(mode);
    })();
    return this.#teardown;
  }
}
