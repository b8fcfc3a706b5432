// Test harness of the RPC edge: a real HTTP server on 127.0.0.1:0 upgrading `/api` and
// `/model/<uuid>/api` with ws, a real SQLite state, a MultiwatcherWorker on its backing, presence
// from MemoryPresenceStore + PingBatcher + PresenceWatcher, and a small fixed AuthService.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { WebSocket, WebSocketServer } from 'ws';
import { ManualClock, MemoryLogger, ModelwatchError, seededRandom } from '../../../core/index.js';
import { MultiwatcherWorker } from '../../../multiwatcher/index.js';
import { MemoryPresenceStore, PingBatcher, PresenceWatcher } from '../../../presence/index.js';
import { openState } from '../../../state/index.js';
import type { State } from '../../../state/index.js';
import { parseAuthTag } from '../../auth/tags.js';
import { DEFAULT_API_LIMITS } from '../../limits.js';
import type { ApiLimits, AuthService, ControllerServices, Identity, LoginAttempt, ModelAccess } from '../../services.js';
import { rpcServerOptions, serveRpcConnection } from '../index.js';
import type { RpcConnection } from '../index.js';

export const M1 = '11111111-1111-4111-8111-111111111111';
export const M2 = '22222222-2222-4222-8222-222222222222';
export const CONTROLLER_UUID = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';
/** Slot-aligned start time (P = 30 s). */
export const BASE_MS = 1_800_000_000_000;

interface UserRecord { password: string; superuser?: boolean; access?: Record<string, ModelAccess> }
/** Fixed users: admin (superuser), reader (read M1), writer (write M1), nobody (no model). */
export const USERS: Readonly<Record<string, UserRecord>> = {
  admin: { password: 'admin-pw', superuser: true },
  reader: { password: 'reader-pw', access: { [M1]: 'read' } },
  writer: { password: 'writer-pw', access: { [M1]: 'write', [M2]: 'read' } },
  nobody: { password: 'nobody-pw' },
};
/** Fixed agents, all of M1. */
export const AGENTS: Readonly<Record<string, string>> = { 'machine-0': 'm0-pw', 'unit-mysql-0': 'u0-pw', 'machine-1': 'm1-pw' };

/** A fixed AuthService: no rate limiting or delays (those belong to the real one). */
export class FixedAuth implements AuthService {
  readonly attempts: LoginAttempt[] = [];
  /** When set, modelAccess rejects with it (an unexpected failure, e.g. the database). */
  modelAccessError: Error | undefined;
  /** `<user>/<model>` pairs whose access was taken away (answered ''). */
  readonly revoked = new Set<string>();
  /** modelAccess lookups so far. */
  modelAccessCalls = 0;
  /** What accessEpoch() answers: a test bumps it when it changes access "through the service". */
  epoch = 0;
  accessEpoch(): number {
    return this.epoch;
  }
  login(a: LoginAttempt): Promise<Identity> {
    this.attempts.push(a);
    const tag = parseAuthTag(a.tag);
    const bad = (): Promise<Identity> => Promise.reject(new ModelwatchError('Unauthorized', 'invalid entity name or password'));
    if (tag === undefined) return bad();
    if (tag.kind === 'user') {
      const u = USERS[tag.name];
      if (u?.password !== a.password) return bad();
      return Promise.resolve({ kind: 'user', tag: a.tag, name: tag.name, displayName: tag.name.toUpperCase(), controllerAccess: u.superuser === true ? 'superuser' : 'login' });
    }
    if (AGENTS[a.tag] !== a.password || a.password === '') return bad();
    return Promise.resolve({ kind: 'agent', tag: a.tag, agent: tag, modelUUID: M1 });
  }
  modelAccess(identity: Identity, modelUUID: string): Promise<ModelAccess | ''> {
    this.modelAccessCalls++;
    if (this.modelAccessError !== undefined) return Promise.reject(this.modelAccessError);
    if (identity.kind === 'user' && this.revoked.has(`${identity.name}/${modelUUID}`)) return Promise.resolve('');
    if (identity.kind === 'agent') return Promise.resolve(identity.modelUUID === modelUUID ? 'read' : '');
    const u = USERS[identity.name];
    if (u?.superuser === true) return Promise.resolve('admin');
    return Promise.resolve(u?.access?.[modelUUID] ?? '');
  }
  /** Bearer tokens issued, in memory (the real store is tested in api/auth). */
  readonly tokens = new Map<string, Identity>();
  issueToken(identity: Identity): Promise<string> {
    const token = `tok-${this.tokens.size + 1}`;
    this.tokens.set(token, identity);
    return Promise.resolve(token);
  }
  resolveToken(token: string): Promise<Identity | undefined> {
    return Promise.resolve(this.tokens.get(token));
  }
  report(): Record<string, unknown> {
    return {};
  }
}

/** The whole test controller. */
export class Harness {
  readonly clock = new ManualClock(BASE_MS);
  readonly logger = new MemoryLogger();
  readonly registry = new Registry();
  readonly presenceStore = new MemoryPresenceStore();
  readonly connections: RpcConnection[] = [];
  state!: State;
  multiwatcher!: MultiwatcherWorker;
  batcher!: PingBatcher;
  services!: ControllerServices;
  readonly auth = new FixedAuth();
  url!: string;
  readonly #presenceWatchers = new Map<string, PresenceWatcher>();
  #server!: Server;
  #wss!: WebSocketServer;

  static async start(limits: Partial<ApiLimits> = {}): Promise<Harness> {
    const h = new Harness();
    await h.#start({ ...DEFAULT_API_LIMITS, ...limits });
    return h;
  }

  async #start(limits: ApiLimits): Promise<void> {
    const { clock, logger } = this;
    this.state = await openState('sqlite::memory:', { clock });
    await this.state.apply([
      { op: 'update', entity: { kind: 'model', modelUUID: M1, id: M1, data: { name: 'one', 'owner-tag': 'user-admin' } } },
      { op: 'update', entity: { kind: 'model', modelUUID: M2, id: M2, data: { name: 'two' } } },
    ]);
    this.multiwatcher = new MultiwatcherWorker({ clock, logger, backing: this.state.allWatcherBacking() });
    this.batcher = new PingBatcher({ store: this.presenceStore, flushInterval: 1000, clock, random: seededRandom(3) });
    const store = this.presenceStore;
    this.services = {
      clock, logger, controllerUUID: CONTROLLER_UUID, serverVersion: '3.6.0', state: this.state,
      multiwatcher: this.multiwatcher, auth: this.auth, limits, registry: this.registry,
      presence: {
        periodMs: 30_000, store,
        recorder: () => this.batcher,
        syncBatcher: () => this.batcher.sync(),
        watcherFor: (m) => this.presenceWatcher(m),
      },
    };
    this.#wss = new WebSocketServer({ noServer: true, ...rpcServerOptions(limits) });
    this.#server = createServer((_req, res) => res.writeHead(404).end());
    this.#server.on('upgrade', (req, socket, head) => {
      const path = req.url ?? '';
      if (path !== '/api' && !/^\/model\/[^/]*\/api$/.test(path)) {
        socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        this.connections.push(serveRpcConnection(ws, { path, remoteAddress: req.socket.remoteAddress ?? '' }, this.services));
      });
    });
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `ws://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  presenceWatcher(modelUUID: string): PresenceWatcher {
    let w = this.#presenceWatchers.get(modelUUID);
    if (w === undefined || w.err() !== undefined) {
      w = new PresenceWatcher({ store: this.presenceStore, modelUUID, clock: this.clock, prune: false, random: seededRandom(5) });
      this.#presenceWatchers.set(modelUUID, w);
    }
    return w;
  }

  /** Moves the clock in steps, letting real I/O run between them, until `done()` or `maxMs`. */
  async pump(done: () => boolean, maxMs = 60_000, stepMs = 10): Promise<void> {
    for (let t = 0; t <= maxMs; t += stepMs) {
      for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
      if (done()) return;
      this.clock.advance(stepMs);
    }
    throw new Error(`pump: condition not reached within ${maxMs} ms of clock time`);
  }

  async stop(): Promise<void> {
    await Promise.all(this.connections.map((c) => c.close()));
    for (const ws of this.#wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const w of this.#presenceWatchers.values()) w.kill();
    this.batcher.kill();
    this.multiwatcher.kill();
    await this.multiwatcher.wait().catch(() => undefined);
    await this.state.close();
  }
}

/** A response frame as parsed by the raw client. */
export interface Frame {
  'request-id': number;
  response?: Record<string, unknown>;
  error?: string;
  'error-code'?: string;
  [k: string]: unknown;
}

/** A raw protocol client: sends frames, matches answers by request-id, keeps unroutable ones. */
export class RawClient {
  readonly ws: WebSocket;
  readonly unrouted: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #nextId = 1;
  readonly #waiting = new Map<number, (f: Frame) => void>();
  #unroutedWaiter: (() => void) | undefined;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data) => {
      const f = JSON.parse((Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer)).toString('utf8')) as Frame;
      const w = this.#waiting.get(f['request-id']);
      if (w === undefined) {
        this.unrouted.push(f);
        this.#unroutedWaiter?.();
      } else {
        this.#waiting.delete(f['request-id']);
        w(f);
      }
    });
  }

  static open(url: string, opts: { autoPong?: boolean } = {}): Promise<RawClient> {
    const ws = new WebSocket(url, { autoPong: opts.autoPong ?? true });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawClient(ws)));
      ws.once('error', reject);
    });
  }

  /** Sends a request and resolves with its answer (error or response). */
  call(type: string, request: string, opts: { version?: number; id?: string; params?: unknown } = {}): Promise<Frame> {
    const rid = this.#nextId++;
    const frame: Record<string, unknown> = { 'request-id': rid, type, request, version: opts.version ?? 0 };
    if (opts.id !== undefined) frame.id = opts.id;
    if (opts.params !== undefined) frame.params = opts.params;
    return this.send(rid, JSON.stringify(frame));
  }

  /** Sends raw text expecting an answer with request-id `rid`. */
  send(rid: number, text: string | Buffer, binary = false): Promise<Frame> {
    const p = new Promise<Frame>((resolve) => this.#waiting.set(rid, resolve));
    this.ws.send(text, { binary });
    return p;
  }

  /** Resolves with the next frame nobody waited for (request-id 0, usually). */
  async nextUnrouted(): Promise<Frame> {
    while (this.unrouted.length === 0) await new Promise<void>((r) => (this.#unroutedWaiter = r));
    return this.unrouted.shift()!;
  }

  async login(tag: string, password: string): Promise<Frame> {
    return this.call('Admin', 'Login', { version: 3, params: { 'auth-tag': tag, credentials: password, 'client-version': '4.0.12' } });
  }

  close(): void {
    this.ws.close();
  }
}

/** Opens a client on the model (or controller when model is undefined) and logs in; throws on failure. */
export async function loggedIn(h: Harness, model: string | undefined, tag: string, password: string): Promise<RawClient> {
  const c = await RawClient.open(model === undefined ? `${h.url}/api` : `${h.url}/model/${model}/api`);
  const r = await c.login(tag, password);
  if (r.error !== undefined) throw new Error(`login failed: ${r.error}`);
  return c;
}

/** Password of a fixed user. */
export function pw(user: string): string {
  return USERS[user]?.password ?? '';
}
