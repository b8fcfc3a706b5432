// End to end: a real `modelwatch serve` child process, driven by an unmodified @canonical/jujulib,
// by REST and by a raw RPC client; two controllers sharing one PostgreSQL database.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAndLogin } from '@canonical/jujulib';
import AllWatcher from '@canonical/jujulib/dist/api/facades/all-watcher/index.js';
import Client from '@canonical/jujulib/dist/api/facades/client/index.js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { RawRpc, createTestDatabase, describePostgres, startControllerProcess } from '../../testing/index.js';
import type { ControllerProcess, TestDatabase } from '../../testing/index.js';

type WireDelta = [string, string, Record<string, unknown>];
interface WatchFacades {
  client: { watchAll(p: Record<string, never>): Promise<{ 'watcher-id': string }> };
  allWatcher: { next(p: { id: string }): Promise<{ deltas: WireDelta[] }>; stop(p: { id: string }): Promise<unknown> };
}
const jujuOptions = { facades: [Client, AllWatcher], wsclass: WebSocket as unknown as typeof globalThis.WebSocket, closeCallback: () => undefined };

const ADMIN_PW = 'e2e-admin-pw';
const basic = `Basic ${Buffer.from(`admin:${ADMIN_PW}`).toString('base64')}`;

async function rest(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: basic, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

async function defaultModel(base: string): Promise<string> {
  const { json } = await rest(base, 'GET', '/v1/models');
  const m = (json.models as Array<{ name: string; uuid: string }>).find((x) => x.name === 'default');
  if (m === undefined) throw new Error('no default model');
  return m.uuid;
}

describe('modelwatch serve (child process, SQLite)', () => {
  let dir: string;
  let ctl: ControllerProcess;
  let model: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mw-e2e-'));
    ctl = await startControllerProcess({ db: `sqlite:${join(dir, 'state.db')}`, adminPassword: ADMIN_PW });
    model = await defaultModel(ctl.url);
  });
  afterAll(async () => {
    await ctl.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an unmodified jujulib logs in, gets the full state, then a delta for a REST write; stop fails a pending next', async () => {
    expect((await rest(ctl.url, 'PUT', `/v1/models/${model}/entities/application/mysql`, { life: 'alive' })).status).toBe(200);
    const wsUrl = `${ctl.url.replace('http', 'ws')}/model/${model}/api`;
    const { conn, logout } = await connectAndLogin(wsUrl, jujuOptions, { username: 'admin', password: ADMIN_PW });
    const f = conn!.facades as unknown as WatchFacades;
    const { 'watcher-id': id } = await f.client.watchAll({});
    const first = await f.allWatcher.next({ id });
    expect(first.deltas).toContainEqual(['application', 'change', { 'model-uuid': model, name: 'mysql', life: 'alive' }]);
    expect(first.deltas).toContainEqual(['model', 'change', expect.objectContaining({ 'model-uuid': model, name: 'default' })]);

    const second = f.allWatcher.next({ id });
    await rest(ctl.url, 'PUT', `/v1/models/${model}/entities/unit/${encodeURIComponent('mysql/0')}`, { application: 'mysql' });
    expect((await second).deltas).toEqual([['unit', 'change', { 'model-uuid': model, name: 'mysql/0', application: 'mysql' }]]);

    // Stop's answer and the pending Next's error may come in either order: expect the rejection first.
    const pending = expect(f.allWatcher.next({ id })).rejects.toThrow('watcher was stopped');
    await f.allWatcher.stop({ id });
    await pending;
    logout();
  });

  it('jujulib with a wrong password is rejected', async () => {
    const wsUrl = `${ctl.url.replace('http', 'ws')}/model/${model}/api`;
    await expect(connectAndLogin(wsUrl, jujuOptions, { username: 'admin', password: 'nope' })).rejects.toThrow(
      'Have you been granted permission to a model on this controller?',
    );
  });

  it('a REST bearer token logs in over RPC ([ours] token param); a bad token is refused', async () => {
    const { json } = await rest(ctl.url, 'POST', '/v1/login');
    const token = json.token as string;
    const rpc = await RawRpc.open(`${ctl.url.replace('http', 'ws')}/model/${model}/api`);
    const ok = await rpc.call('Admin', 3, 'Login', { 'auth-tag': 'user-admin', credentials: '', token });
    expect(ok['user-info']).toMatchObject({ identity: 'user-admin' });
    rpc.close();
    const bad = await RawRpc.open(`${ctl.url.replace('http', 'ws')}/model/${model}/api`);
    await expect(bad.call('Admin', 3, 'Login', { 'auth-tag': 'user-admin', credentials: '', token: 'forged' })).rejects.toThrow('invalid entity name or password');
    bad.close();
  });

  it('a malformed request target is refused (400) on upgrade and plain HTTP, and the controller stays up', async () => {
    const { connect } = await import('node:net');
    const send = (request: string): Promise<string> => new Promise((resolve, reject) => {
      const sock = connect(ctl.port, '127.0.0.1', () => sock.write(request));
      let got = '';
      sock.on('data', (d: Buffer) => (got += d.toString()));
      sock.on('close', () => resolve(got));
      sock.on('error', reject);
      sock.setTimeout(5000, () => sock.destroy());
    });
    const upgrade = await send('GET http://[::1/api HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    expect(upgrade).toMatch(/^HTTP\/1\.1 400 /);
    const plain = await send('GET http://[::1/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(plain).toMatch(/^HTTP\/1\.1 400 /);
    expect((await fetch(`${ctl.url}/healthz`)).status).toBe(200);
    expect(ctl.child.exitCode).toBeNull();
  });

  it('serves /metrics with every component and answers unknown paths with 404', async () => {
    const text = await (await fetch(`${ctl.url}/metrics`)).text();
    for (const name of ['modelwatch_multiwatcher_watcher_count', 'modelwatch_dependency_manifolds', 'process_cpu_user_seconds_total']) {
      expect(text).toContain(name);
    }
    expect((await fetch(`${ctl.url}/nope`)).status).toBe(404);
  });

  it('stops cleanly on SIGTERM and keeps its data across a restart, REST bearer tokens included', async () => {
    const rev = Number((await rest(ctl.url, 'PUT', `/v1/models/${model}/entities/machine/0`, { series: 'noble' })).json.revision);
    const token = String((await rest(ctl.url, 'POST', '/v1/login')).json.token);
    expect(await ctl.stop()).toBe(0);
    ctl = await startControllerProcess({ db: `sqlite:${join(dir, 'state.db')}`, adminPassword: 'ignored-now' });
    expect(ctl.output()).not.toContain('Created superuser');
    const { status, json } = await rest(ctl.url, 'GET', `/v1/models/${model}/entities/machine/0`);
    expect(status).toBe(200);
    expect(json).toMatchObject({ kind: 'machine', id: '0' });
    expect(rev).toBeGreaterThan(0);
    expect(await defaultModel(ctl.url)).toBe(model); // bootstrap did not run twice
    expect((await fetch(`${ctl.url}/v1/models`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });
});

describePostgres('two controllers on one PostgreSQL database', () => {
  let db: TestDatabase;
  let a: ControllerProcess;
  let b: ControllerProcess;
  let model: string;

  beforeAll(async () => {
    db = await createTestDatabase('e2e');
    a = await startControllerProcess({ db: db.url, adminPassword: ADMIN_PW });
    b = await startControllerProcess({ db: db.url, adminPassword: ADMIN_PW });
    model = await defaultModel(a.url);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([a.stop(), b.stop()]);
    await db.drop();
  });

  it('a model removed over RPC on A loses its agents\' tokens, its grants and its presence rows on A and on B (not only through DELETE /v1/models)', async () => {
    const uuid = String((await rest(a.url, 'POST', '/v1/models', { name: 'doomed' })).json.uuid);
    expect((await rest(a.url, 'PUT', `/v1/models/${uuid}/agents/machine-0/password`, { password: 'agent-pw' })).status).toBe(200);
    const agentBasic = `Basic ${Buffer.from('machine-0:agent-pw').toString('base64')}`;
    const login = await fetch(`${b.url}/v1/login?model=${uuid}`, { method: 'POST', headers: { authorization: agentBasic } });
    expect(login.status).toBe(200);
    const bearer = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
    expect((await fetch(`${b.url}/v1/models/${uuid}/entities`, { headers: bearer })).status).toBe(200);
    // A connected agent pings: its model gets presence rows (written by B's batcher).
    const agent = await RawRpc.open(`${b.url.replace('http', 'ws')}/model/${uuid}/api`);
    await agent.call('Admin', 3, 'Login', { 'auth-tag': 'machine-0', credentials: 'agent-pw' });
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    const presenceRows = async (): Promise<number> =>
      Number((await sql.query<{ n: string }>('SELECT count(*) AS n FROM presence_seqs WHERE model_uuid = $1', [uuid])).rows[0]?.n ?? 0);
    const until = async (ok: (n: number) => boolean): Promise<number> => {
      const deadline = Date.now() + 15_000;
      let n = await presenceRows();
      while (!ok(n) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        n = await presenceRows();
      }
      return n;
    };
    expect(await until((n) => n > 0)).toBeGreaterThan(0);

    const rpc = await RawRpc.open(`${a.url.replace('http', 'ws')}/model/${uuid}/api`);
    await rpc.login('user-admin', ADMIN_PW);
    await rpc.call('Entities', 1, 'Remove', { entities: [{ kind: 'model', 'model-uuid': uuid, id: uuid }] });
    rpc.close();
    // The removal reaches each controller through its multiwatcher; then the model is forgotten.
    for (const base of [a.url, b.url]) {
      const deadline = Date.now() + 15_000;
      let status = 0;
      while (Date.now() < deadline && status !== 401) {
        status = (await fetch(`${base}/v1/models/${uuid}/entities`, { headers: bearer })).status;
        if (status !== 401) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(401);
      expect((await fetch(`${base}/v1/login?model=${uuid}`, { method: 'POST', headers: { authorization: agentBasic } })).status).toBe(401);
    }
    try {
      expect(await until((n) => n === 0)).toBe(0);
    } finally {
      agent.close();
      await sql.end();
    }
  });

  it('a watcher on B sees a write made on A', async () => {
    const rpc = await RawRpc.open(`${b.url.replace('http', 'ws')}/model/${model}/api`);
    await rpc.login('user-admin', ADMIN_PW);
    const { 'watcher-id': id } = await rpc.call('Client', 8, 'WatchAll');
    await rpc.call('AllWatcher', 3, 'Next', {}, id as string);
    const next = rpc.call('AllWatcher', 3, 'Next', {}, id as string);
    await rest(a.url, 'PUT', `/v1/models/${model}/entities/application/from-a`, { life: 'alive' });
    const got = (await next).deltas as WireDelta[];
    expect(got).toContainEqual(['application', 'change', { 'model-uuid': model, name: 'from-a', life: 'alive' }]);
    rpc.close();
  });

  it('a client whose controller is killed resumes on the other from its revision, without loss or repeats', async () => {
    const rpc = await RawRpc.open(`${a.url.replace('http', 'ws')}/model/${model}/api`);
    await rpc.login('user-admin', ADMIN_PW);
    const { 'watcher-id': id } = await rpc.call('Client', 8, 'WatchAll');
    const first = await rpc.call('AllWatcher', 3, 'Next', {}, id as string);
    const seenRev = first.revision as number;
    expect(Number.isInteger(seenRev)).toBe(true);
    await a.kill9();
    rpc.close();
    for (let i = 0; i < 5; i++) await rest(b.url, 'PUT', `/v1/models/${model}/entities/unit/u-${i}`, { n: i });
    const again = await RawRpc.open(`${b.url.replace('http', 'ws')}/model/${model}/api`);
    await again.login('user-admin', ADMIN_PW);
    const resumed = await again.call('Client', 8, 'WatchAll', { 'since-revision': seenRev });
    expect(resumed['resync-required']).toBeUndefined();
    const batch = await again.call('AllWatcher', 3, 'Next', {}, resumed['watcher-id'] as string);
    expect(batch.reset).toBeUndefined();
    const ids = (batch.deltas as WireDelta[]).map(([kind, , e]) => `${kind}:${String(e.id ?? e.name)}`);
    expect(ids).toEqual(['unit:u-0', 'unit:u-1', 'unit:u-2', 'unit:u-3', 'unit:u-4']);
    again.close();
  });
});

describe('modelwatch serve with TLS', () => {
  it('serves wss:// and https:// with the configured certificate', async () => {
    const { execFileSync } = await import('node:child_process');
    const { readFileSync } = await import('node:fs');
    const dir = mkdtempSync(join(tmpdir(), 'mw-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1'], { stdio: 'ignore' });
    const ctl = await startControllerProcess({ db: `sqlite:${join(dir, 'state.db')}`, adminPassword: ADMIN_PW, tls: { cert, key } });
    try {
      expect(ctl.url.startsWith('https://')).toBe(true);
      const ws = new WebSocket(`${ctl.url.replace('https', 'wss')}/api`, { ca: readFileSync(cert) });
      const reply = await new Promise<Record<string, unknown>>((resolve, reject) => {
        ws.once('error', reject);
        ws.once('open', () => ws.send(JSON.stringify({ 'request-id': 1, type: 'Admin', version: 3, request: 'Login', params: { 'auth-tag': 'user-admin', credentials: ADMIN_PW } })));
        ws.once('message', (d: Buffer) => resolve(JSON.parse(d.toString()) as Record<string, unknown>));
      });
      expect(reply).toMatchObject({ 'request-id': 1, response: { 'server-version': '3.6.0' } });
      ws.close();
      // A client that does not trust the certificate is refused.
      const untrusting = new WebSocket(`${ctl.url.replace('https', 'wss')}/api`);
      await expect(new Promise((resolve, reject) => {
        untrusting.once('open', resolve);
        untrusting.once('error', reject);
      })).rejects.toThrow(/self.signed|certificate/i);
    } finally {
      await ctl.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
