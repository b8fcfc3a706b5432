// Test controller of the REST edge: a real HTTP server on 127.0.0.1:0 serving createRestHandler
// (404 for anything else), a real SQLite state in a temp file, a MultiwatcherWorker on its backing and
// the real auth service on a MemoryUserStore (failure delays shrunk to 0 on a real clock).
import { MemoryPresenceStore } from '../../../presence/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { ManualClock, MemoryLogger, SystemClock } from '../../../core/index.js';
import { MultiwatcherWorker } from '../../../multiwatcher/index.js';
import { openState } from '../../../state/index.js';
import type { State } from '../../../state/index.js';
import { createAuthService } from '../../auth/auth-service.js';
import type { ControllerAuthService } from '../../auth/auth-service.js';
import { MemoryUserStore } from '../../../state/index.js';
import { DEFAULT_API_LIMITS } from '../../limits.js';
import type { ApiLimits, ControllerServices, PresenceServices } from '../../services.js';
import { createRestHandler } from '../rest-handler.js';

export const M1 = '11111111-1111-4111-8111-111111111111';
export const M2 = '22222222-2222-4222-8222-222222222222';
/** Never created. */
export const M3 = '33333333-3333-4333-8333-333333333333';
export const BASE_MS = 1_800_000_000_000;

/** Users: admin (superuser), bob (write M1, read M2), reader (read M1), carol (no access). */
export const PASSWORDS = { admin: 'admin-pw', bob: 'bob-pw', reader: 'reader-pw', carol: 'carol-pw' } as const;

/** REST uses only presence's store (model removal clears it); any other use fails the test loudly. */
export const PRESENCE_STORE = new MemoryPresenceStore();
const NO_PRESENCE = new Proxy({} as PresenceServices, {
  get(_t, p) {
    if (p === 'store') return PRESENCE_STORE;
    throw new Error(`presence.${String(p)} used by REST`);
  },
});

export type FixtureUser = keyof typeof PASSWORDS;
/** Authorization headers by user, from RestFixture.bearers(). */
export type Bearers = Record<FixtureUser, string>;

/** A response as the tests see it. */
export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: Record<string, unknown>;
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export class RestFixture {
  readonly clock = new ManualClock(BASE_MS);
  readonly logger = new MemoryLogger();
  readonly registry = new Registry();
  readonly users = new MemoryUserStore();
  readonly dir = mkdtempSync(join(tmpdir(), 'modelwatch-rest-'));
  state!: State;
  multiwatcher!: MultiwatcherWorker;
  auth!: ControllerAuthService;
  services!: ControllerServices;
  port = 0;
  #server!: Server;

  static async start(opts: { limits?: Partial<ApiLimits>; wrapState?: (s: State) => State; sseHeartbeatMs?: number } = {}): Promise<RestFixture> {
    const f = new RestFixture();
    const { clock, logger } = f;
    f.state = await openState(`sqlite:${join(f.dir, 'state.db')}`, { clock });
    await f.state.apply([
      { op: 'update', entity: { kind: 'model', modelUUID: M1, id: M1, data: { name: 'one', owner: 'admin' } } },
      { op: 'update', entity: { kind: 'model', modelUUID: M2, id: M2, data: { name: 'two', owner: 'admin' } } },
    ]);
    // Tombstones retained for resume, as the controller configures it (the multiwatcher's default is 0).
    f.multiwatcher = new MultiwatcherWorker({ clock, logger, backing: f.state.allWatcherBacking(), retainRevisions: 10_000 });
    f.auth = createAuthService({ clock: new SystemClock(), logger, users: f.users, limits: { failureDelayMinMs: 0, failureDelayMaxMs: 0 } });
    await f.auth.admin.addUser({ name: 'admin', password: PASSWORDS.admin, controllerAccess: 'superuser' });
    for (const name of ['bob', 'reader', 'carol'] as const) await f.auth.admin.addUser({ name, password: PASSWORDS[name] });
    await f.auth.admin.grant('bob', M1, 'write');
    await f.auth.admin.grant('bob', M2, 'read');
    await f.auth.admin.grant('reader', M1, 'read');
    f.services = {
      clock, logger, controllerUUID: 'cccccccc-cccc-4ccc-8ccc-cccccccccccc', serverVersion: '3.6.0',
      state: opts.wrapState ? opts.wrapState(f.state) : f.state,
      multiwatcher: f.multiwatcher, presence: NO_PRESENCE, auth: f.auth,
      limits: { ...DEFAULT_API_LIMITS, ...opts.limits }, registry: f.registry,
    };
    const handler = createRestHandler({ services: f.services, admin: f.auth.admin }, opts.sseHeartbeatMs === undefined ? {} : { sseHeartbeatMs: opts.sseHeartbeatMs });
    f.#server = createServer((req, res) => {
      handler(req, res).then(
        (handled) => {
          if (!handled) res.writeHead(404, { 'content-type': 'text/plain' }).end('fallthrough');
        },
        (err: unknown) => res.destroy(err as Error),
      );
    });
    await new Promise<void>((resolve) => f.#server.listen(0, '127.0.0.1', resolve));
    f.port = (f.#server.address() as AddressInfo).port;
    return f;
  }

  /** One request; `auth` is an Authorization header value or a user name (Basic with its password). */
  request(method: string, path: string, opts: { auth?: string; body?: unknown; raw?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.auth !== undefined) headers.authorization = opts.auth.includes(' ') ? opts.auth : basic(opts.auth, PASSWORDS[opts.auth as keyof typeof PASSWORDS]);
    const payload = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
    if (payload !== undefined) headers['content-type'] = 'application/json';
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: this.port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // not JSON: tests look at text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      });
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** A bearer header for a user, from POST /v1/login. */
  async bearer(user: keyof typeof PASSWORDS): Promise<string> {
    const r = await this.request('POST', '/v1/login', { auth: user });
    if (r.status !== 200) throw new Error(`login ${user}: ${r.status} ${r.text}`);
    return `Bearer ${String(r.json.token)}`;
  }

  /** A bearer header for every fixture user. */
  async bearers(): Promise<Bearers> {
    const out: Partial<Bearers> = {};
    for (const user of Object.keys(PASSWORDS) as FixtureUser[]) out[user] = await this.bearer(user);
    return out as Bearers;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.multiwatcher.kill();
    await this.multiwatcher.wait().catch(() => undefined);
    await this.state.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
