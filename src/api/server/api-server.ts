// The controller's HTTP(S) listener: upgrades `/api` and `/model/<uuid>/api` to WebSocket RPC,
// serves `/healthz`, `/metrics`, the REST routes and the dashboard, and owns every connection's
// lifetime. RPC semantics live in api/rpc, REST in api/rest; this file only routes and supervises.
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { NotValidError, deferred, errorMessage } from '../../core/index.js';
import type { Worker } from '../../core/index.js';
import { sendJson } from '../rest/index.js';
import type { RestHandler } from '../rest/index.js';
import { rpcServerOptions } from '../rpc/index.js';
import type { ControllerServices } from '../services.js';
import { watchModelRemovals } from './model-removals.js';
import type { ModelRemovals } from './model-removals.js';
import { serveStatic } from './static-files.js';

/** One RPC connection as the server sees it. */
export interface RpcConnectionHandle {
  close(): void;
  report(): Record<string, unknown>;
  /** The model of a `/model/<uuid>/api` connection. */
  readonly modelUUID?: string | undefined;
  /** Its model was removed: end the connection (see model-removals.ts). */
  modelRemoved?(): void;
}

/** Starts RPC on an upgraded socket (api/rpc's serveRpcConnection). */
export type RpcConnector = (
  ws: WebSocket,
  info: { path: string; remoteAddress: string },
  services: ControllerServices,
) => RpcConnectionHandle;

/** Handles a REST request; resolves false when the path is not a REST route (api/rest's createRestHandler). */
export type { RestHandler };

/** Configuration of an ApiServer. */
export interface ApiServerConfig {
  services: ControllerServices;
  /** Host and port; port 0 picks a free one (see address()). */
  host: string;
  port: number;
  tls?: { cert: string | Buffer; key: string | Buffer };
  rpc: RpcConnector;
  rest?: RestHandler;
  /** Directory of the built dashboard, served at `/` when given. */
  dashboardDir?: string;
  /** Allowed `Origin` values for upgrades; empty or absent allows any (credentials travel in-band). */
  allowedOrigins?: readonly string[];
  /** Open connections per remote address; 0 = unlimited (default). */
  maxConnectionsPerAddress?: number;
  /**
   * Called once per model removal this server sees, whichever path removed it (REST, RPC, the state
   * directly, another controller on the same database), after its connections were closed: the
   * controller forgets the model's grants, agent credentials and tokens there. A failure is logged.
   */
  onModelRemoved?: (modelUUID: string) => Promise<void>;
  /**
   * The text `/metrics` answers (default: the services' registry). Under `serve --workers` it is the
   * whole cluster's, summed over the workers by the primary.
   */
  metricsText?: () => Promise<string>;
  /** Under `serve --workers`: this worker's index, which `/healthz` adds with its pid. */
  worker?: number;
}

const RPC_PATH = /^\/(?:api|model\/([^/]*)\/api)$/;

/** See the file comment. Start with `ApiServer.start(config)`; kill() closes every connection. */
export class ApiServer implements Worker {
  readonly #config: ApiServerConfig;
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #connections = new Set<RpcConnectionHandle>();
  readonly #perAddress = new Map<string, number>();
  readonly #sockets = new Set<Socket>();
  readonly #done = deferred<void>();
  #killed = false;
  #upgradesRefused = 0;
  #removals: ModelRemovals | undefined;

  private constructor(config: ApiServerConfig) {
    this.#config = config;
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.#onRequest(req, res);
    this.#server = config.tls ? createHttpsServer({ cert: config.tls.cert, key: config.tls.key }, handler) : createHttpServer(handler);
    // The RPC layer enforces the message limit itself (answering with the request id); the transport
    // cap protects memory: above 4× the limit the socket closes with 1009.
    this.#wss = new WebSocketServer({ noServer: true, ...rpcServerOptions(config.services.limits) });
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#onUpgrade(req, socket, head));
    this.#server.on('connection', (s: Socket) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
  }

  /** Listens, resolving once bound. @throws NotValidError for a bad config; the listen error otherwise. */
  static async start(config: ApiServerConfig): Promise<ApiServer> {
    if ((config as Partial<ApiServerConfig>).services === undefined) throw new NotValidError('missing Services not valid');
    if (typeof config.rpc !== 'function') throw new NotValidError('missing RpcConnector not valid');
    for (const k of ['onModelRemoved', 'metricsText'] as const) {
      if (config[k] !== undefined && typeof config[k] !== 'function') throw new NotValidError(`${k} not valid: must be a function`);
    }
    if (config.worker !== undefined && !(Number.isInteger(config.worker) && config.worker >= 0)) {
      throw new NotValidError(`worker ${String(config.worker)} not valid: must be a non-negative integer`);
    }
    if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) throw new NotValidError(`port ${config.port} not valid`);
    const s = new ApiServer(config);
    await new Promise<void>((resolve, reject) => {
      s.#server.once('error', reject);
      s.#server.listen(config.port, config.host, () => {
        s.#server.off('error', reject);
        resolve();
      });
    });
    s.#server.on('error', (err) => config.services.logger.error('api server error', { err: err.message }));
    s.#removals = watchModelRemovals(config.services.multiwatcher, config.services.logger, (uuid) => s.#modelRemoved(uuid));
    return s;
  }

  /** The bound address (the real port when configured with 0). */
  address(): { host: string; port: number; url: string } {
    const a = this.#server.address() as AddressInfo;
    const scheme = this.#config.tls ? 'https' : 'http';
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return { host: a.address, port: a.port, url: `${scheme}://${host}:${a.port}` };
  }

  kill(): void {
    if (this.#killed) return;
    this.#killed = true;
    void this.#removals?.stop();
    for (const c of this.#connections) c.close();
    this.#server.close(() => this.#done.resolve());
    // Idle keep-alive HTTP sockets and SSE streams would hold close() open.
    this.#server.closeIdleConnections();
    for (const s of this.#sockets) s.destroy();
    this.#wss.close();
  }

  wait(): Promise<void> {
    return this.#done.promise;
  }

  report(): Record<string, unknown> {
    const a = this.#killed ? undefined : this.address();
    return {
      address: a?.url,
      connections: this.#connections.size,
      'http-sockets': this.#sockets.size,
      'upgrades-refused': this.#upgradesRefused,
      'model-removals': this.#removals?.report(),
    };
  }

  /** Ends every RPC connection of a removed model. */
  #modelRemoved(modelUUID: string): void {
    for (const c of this.#connections) if (c.modelUUID === modelUUID) c.modelRemoved?.();
    const forget = this.#config.onModelRemoved;
    if (forget === undefined) return;
    const { logger } = this.#config.services;
    forget(modelUUID).catch((err: unknown) => logger.error('forgetting a removed model failed', { 'model-uuid': modelUUID, err: errorMessage(err) }));
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { services } = this.#config;
    try {
      const path = requestPath(req);
      if (path === undefined) {
        sendJson(res, 400, { error: 'malformed request target', code: 'BadRequest' });
        return;
      }
      if (req.method === 'GET' && path === '/healthz') {
        const revision = await services.state.revision();
        const worker = this.#config.worker === undefined ? {} : { worker: this.#config.worker, pid: process.pid };
        sendJson(res, 200, { status: 'ok', revision, connections: this.#connections.size, ...worker });
        return;
      }
      if (req.method === 'GET' && path === '/metrics') {
        const text = await (this.#config.metricsText?.() ?? services.registry.metrics());
        res.writeHead(200, { 'content-type': services.registry.contentType });
        res.end(text);
        return;
      }
      if (this.#config.rest && (await this.#config.rest(req, res))) return;
      if (this.#config.dashboardDir !== undefined && req.method === 'GET' && (await serveStatic(this.#config.dashboardDir, path, res))) return;
      sendJson(res, 404, { error: `no route for ${req.method ?? 'GET'} ${path}`, code: 'NotFound' });
    } catch (err) {
      services.logger.error('http request failed', { url: req.url, err: errorMessage(err) });
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error', code: 'Internal' });
      else res.destroy();
    }
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = requestPath(req);
    const refuse = (status: string): void => {
      this.#upgradesRefused++;
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (path === undefined) {
      refuse('400 Bad Request');
      return;
    }
    if (this.#killed || !RPC_PATH.test(path)) {
      refuse('404 Not Found');
      return;
    }
    const origins = this.#config.allowedOrigins ?? [];
    const origin = req.headers.origin;
    if (origins.length > 0 && origin !== undefined && !origins.includes(origin)) {
      refuse('403 Forbidden');
      return;
    }
    const remoteAddress = req.socket.remoteAddress ?? 'unknown';
    const limit = this.#config.maxConnectionsPerAddress ?? 0;
    if (limit > 0 && (this.#perAddress.get(remoteAddress) ?? 0) >= limit) {
      refuse('429 Too Many Requests');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      this.#perAddress.set(remoteAddress, (this.#perAddress.get(remoteAddress) ?? 0) + 1);
      const conn = this.#config.rpc(ws, { path, remoteAddress }, this.#config.services);
      this.#connections.add(conn);
      ws.once('close', () => {
        this.#connections.delete(conn);
        const n = (this.#perAddress.get(remoteAddress) ?? 1) - 1;
        if (n <= 0) this.#perAddress.delete(remoteAddress);
        else this.#perAddress.set(remoteAddress, n);
      });
    });
  }
}

/**
 * The path of a request target, or undefined when it does not parse (e.g. `GET http://[::1 …`):
 * `new URL` throws on such input, and a throw inside the upgrade handler would take the process down.
 */
export function requestPath(req: IncomingMessage): string | undefined {
  try {
    return new URL(req.url ?? '/', 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}
