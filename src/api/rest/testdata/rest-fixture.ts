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
import { afterAll, beforeAll } from 'vitest';
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

/** Options of RestFixture.start. */
export interface FixtureOptions {
  limits?: Partial<ApiLimits>;
  wrapState?: (s: State) => State;
  sseHeartbeatMs?: number;
}

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
  /** Temp directory of the SQLite state; made when the fixture opens. */
  dir = '';
  state!: State;
  multiwatcher!: MultiwatcherWorker;
  auth!: ControllerAuthService;
  services!: ControllerServices;
  port = 0;
  #server!: Server;

  static async start(opts: FixtureOptions = {}): Promise<RestFixture> {
    const f = new RestFixture();
    await f.#open(opts);
    return f;
  }

  /**
   * One fixture for a whole test file: opened before its first test, with a bearer header per user
   * in `t`, and stopped after its last. Call at the top level of the file.
   */
  static sharedByFile(): { f: RestFixture; t: Bearers } {
    const f = new RestFixture();
    const t = {} as Bearers; // filled in before the first test
    beforeAll(async () => {
      await f.#open({});
      Object.assign(t, await f.bearers());
    });
    afterAll(() => f.stop());
    return { f, t };
  }

  async #open(opts: FixtureOptions): Promise<void> {
    const { clock, logger } = this;
    this.dir = mkdtempSync(join(tmpdir(), 'modelwatch-rest-'));
    this.state = await openState(`sqlite:${join(this.dir, 'state.db')}`, { clock });
    await this.state.apply([
      { op: 'update', entity: { kind: 'model', modelUUID: M1, id: M1, data: { name: 'one', owner: 'admin' } } },
      { op: 'update', entity: { kind: 'model', modelUUID: M2, id: M2, data: { name: 'two', owner: 'admin' } } },
    ]);
    // Tombstones retained for resume, as the controller configures it (the multiwatcher's default is 0).
    this.multiwatcher = new MultiwatcherWorker({ clock, logger, backing: this.state.allWatcherBacking(), retainRevisions: 10_000 });
    this.auth = createAuthService({ clock: new SystemClock(), logger, users: this.users, limits: { failureDelayMinMs: 0, failureDelayMaxMs: 0 } });
    await this.auth.admin.addUser({ name: 'admin', password: PASSWORDS.admin, controllerAccess: 'superuser' });
    for (const name of ['bob', 'reader', 'carol'] as const) await this.auth.admin.addUser({ name, password: PASSWORDS[name] });
    await this.auth.admin.grant('bob', M1, 'write');
    await this.auth.admin.grant('bob', M2, 'read');
    await this.auth.admin.grant('reader', M1, 'read');
    this.services = {
      clock, logger, controllerUUID: 'cccccccc-cccc-4ccc-8ccc-cccccccccccc', serverVersion: '3.6.0',
      state: opts.wrapState ? opts.wrapState(this.state) : this.state,
      multiwatcher: this.multiwatcher, presence: NO_PRESENCE, auth: this.auth,
      limits: { ...DEFAULT_API_LIMITS, ...opts.limits }, registry: this.registry,
    };
    const handler = createRestHandler({ services: this.services, admin: this.auth.admin }, opts.sseHeartbeatMs === undefined ? {} : { sseHeartbeatMs: opts.sseHeartbeatMs });
    this.#server = createServer((req, res) => {
      handler(req, res).then(
        (handled) => {
          if (!handled) res.writeHead(404, { 'content-type': 'text/plain' }).end('fallthrough');
        },
        (err: unknown) => res.destroy(err as Error),
      );
    });
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
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
