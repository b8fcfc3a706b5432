// End to end: a real `modelwatch serve --workers 2` on a SQLite file. Connections spread over both
// workers; a write made through one worker reaches watchers on the other through the primary's
// relay; a killed worker is restarted while the other serves on; SIGTERM stops every process.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawRpc, createTestDatabase, describePostgres, sampleOf, startControllerProcess, waitFor } from '../testing/index.js';
import type { ControllerProcess, TestDatabase } from '../testing/index.js';

const ADMIN_PW = 'cluster-admin-pw';
const basic = `Basic ${Buffer.from(`admin:${ADMIN_PW}`).toString('base64')}`;

/** One GET on a fresh connection (so the primary hands it to the next worker), as JSON or text. */
function fresh(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, headers: { authorization: basic } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}
const health = async (base: string) => JSON.parse((await fresh(`${base}/healthz`)).body) as { worker: number; pid: number; connections: number };
const metric = (text: string, name: string): number => sampleOf(text, name) ?? NaN;

async function put(base: string, path: string, body: unknown): Promise<number> {
  const r = await fetch(`${base}${path}`, { method: 'PUT', headers: { authorization: basic, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await r.arrayBuffer();
  return r.status;
}

/** A raw RPC watcher: Login, WatchAll, then Next in a loop collecting deltas. */
class Watcher {
  readonly deltas: unknown[][] = [];
  private constructor(readonly rpc: RawRpc) {}
  static async open(url: string): Promise<Watcher> {
    const rpc = await RawRpc.open(url);
    await rpc.login('user-admin', ADMIN_PW);
    const { 'watcher-id': id } = await rpc.call('Client', 6, 'WatchAll');
    await rpc.call('AllWatcher', 1, 'Next', {}, id as string); // the snapshot
    const w = new Watcher(rpc);
    void w.#loop(id as string);
    return w;
  }
  get ws(): RawRpc['ws'] {
    return this.rpc.ws;
  }
  async #loop(id: string): Promise<void> {
    for (;;) {
      const r = await this.rpc.call('AllWatcher', 1, 'Next', {}, id).catch(() => undefined);
      if (r === undefined) return;
      this.deltas.push(...(r.deltas as unknown[][]));
    }
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('modelwatch serve --workers 2 (child processes, SQLite)', () => {
  let dir: string;
  let ctl: ControllerProcess;
  let model: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mw-cluster-'));
    // An empty MODELWATCH_ADMIN_PASSWORD: the primary generates the password and prints it, once.
    ctl = await startControllerProcess({ db: `sqlite:${join(dir, 'state.db')}`, args: ['--workers', '2'], env: { MODELWATCH_ADMIN_PASSWORD: '' }, readyTimeoutMs: 60_000 });
    const password = /Created superuser "admin" with password: (\S+)/.exec(ctl.output())?.[1];
    expect(password).toBeDefined();
    expect(ctl.output().match(/Created superuser/g)).toHaveLength(1);
    // Set the password the tests use through the API (it also proves the printed one works).
    const r = await fetch(`${ctl.url}/v1/users/admin/password`, {
      method: 'PUT', headers: { authorization: `Basic ${Buffer.from(`admin:${password ?? ''}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ password: ADMIN_PW }),
    });
    expect(r.status).toBe(200);
    const models = JSON.parse((await fresh(`${ctl.url}/v1/models`)).body) as { models: Array<{ name: string; uuid: string }> };
    model = models.models.find((m) => m.name === 'default')?.uuid ?? '';
  }, 90_000);
  afterAll(async () => {
    if (ctl.child.exitCode === null) await ctl.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a write through one worker reaches watchers on both workers (the primary relays its ring)', async () => {
    const watchers: Watcher[] = [];
    for (let i = 0; i < 4; i++) watchers.push(await Watcher.open(`${ctl.url.replace('http', 'ws')}/model/${model}/api`));
    const seen = new Map<number, number>();
    for (let i = 0; i < 6; i++) {
      const h = await health(ctl.url);
      seen.set(h.worker, h.connections);
    }
    expect([...seen.keys()].sort()).toEqual([0, 1]);
    expect([...seen.values()]).toEqual([2, 2]); // four watchers, two on each worker
    const before = metric((await fresh(`${ctl.url}/metrics`)).body, 'modelwatch_cluster_rings_relayed_total');
    for (let n = 1; n <= 3; n++) expect(await put(ctl.url, `/v1/models/${model}/entities/machine/${n}`, { series: 'jammy' })).toBe(200);
    await waitFor(() => watchers.every((w) => w.deltas.length >= 3), 'every watcher to see the three machines');
    for (const w of watchers) expect(w.deltas.map((d) => (d[2] as { id: string }).id).sort()).toEqual(['1', '2', '3']);
    const text = (await fresh(`${ctl.url}/metrics`)).body;
    expect(metric(text, 'modelwatch_cluster_rings_relayed_total') - before).toBeGreaterThanOrEqual(3);
    // Summed over the workers: every relayed ring was received by the other worker.
    expect(metric(text, 'modelwatch_cluster_peer_rings_received_total')).toBe(metric(text, 'modelwatch_cluster_rings_relayed_total'));
    expect(metric(text, 'modelwatch_cluster_peer_rings_sent_total')).toBe(metric(text, 'modelwatch_cluster_rings_relayed_total'));
    watchers.forEach((w) => w.ws.close());
  });

  it('/metrics sums the workers: two workers, and their connections', async () => {
    const text = (await fresh(`${ctl.url}/metrics`)).body;
    expect(metric(text, 'modelwatch_cluster_workers')).toBe(2);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
  });

  it('a killed worker is restarted while the other serves on', async () => {
    const victim = await health(ctl.url);
    process.kill(victim.pid, 'SIGKILL');
    await waitFor(() => !alive(victim.pid), 'the worker to die');
    // The survivor answers meanwhile (the primary hands new connections only to live workers).
    expect((await fresh(`${ctl.url}/healthz`)).status).toBe(200);
    // Past the 1 s back-off the new worker is starting: /metrics does not wait for it (it is asked only
    // once it listens); it used to wait 5 s and answer 500.
    await new Promise((r) => setTimeout(r, 1200));
    expect((await fresh(`${ctl.url}/metrics`)).status).toBe(200);
    await waitFor(async () => {
      const hs = await Promise.all([health(ctl.url), health(ctl.url)]);
      return hs.some((h) => h.worker === victim.worker && h.pid !== victim.pid);
    }, 'the worker to come back with a new pid');
    expect(metric((await fresh(`${ctl.url}/metrics`)).body, 'modelwatch_cluster_worker_restarts_total')).toBe(1);
  });

  it('SIGTERM to the primary stops every worker and exits 0', async () => {
    const pids = new Set<number>();
    for (let i = 0; i < 4; i++) pids.add((await health(ctl.url)).pid);
    expect(pids.size).toBe(2);
    expect(await ctl.stop()).toBe(0);
    await waitFor(() => [...pids].every((p) => !alive(p)), 'the workers to exit', 10_000);
  });
});

/** Runs `modelwatch serve <args>` on a fresh SQLite file to its exit; resolves with code and stderr. */
async function serveToExit(args: readonly string[]): Promise<{ code: number | null; err: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'mw-cluster-fail-'));
  try {
    const cli = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'serve', '--db', `sqlite:${join(dir, 'state.db')}`, '--log-level', 'silent', ...args], {
      env: { ...process.env, MODELWATCH_ADMIN_PASSWORD: 'pw' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    return { code, err };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('modelwatch serve on a port that is taken', () => {
  it('exits 1 naming the address, one process or a cluster, instead of retrying forever', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      for (const workers of ['1', '2']) {
        const r = await serveToExit(['--listen', `127.0.0.1:${port}`, '--workers', workers]);
        expect(r.code, `--workers ${workers}`).toBe(1);
        expect(r.err).toMatch(/EADDRINUSE/);
        if (workers === '2') expect(r.err).toMatch(/before the controller listened/);
      }
    } finally {
      blocker.close();
    }
  }, 90_000);
});

describe('modelwatch serve --workers 2 that cannot start', () => {
  it('exits 1 when its workers exit before listening (unreadable TLS files), instead of restarting them forever', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-cluster-fail-'));
    try {
      const cli = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
      const missing = join(dir, 'missing.pem');
      const child = spawn(process.execPath, ['--import', 'tsx', cli, 'serve', '--db', `sqlite:${join(dir, 'state.db')}`, '--listen', '127.0.0.1:0',
        '--tls-cert', missing, '--tls-key', missing, '--workers', '2', '--log-level', 'silent'], {
        env: { ...process.env, MODELWATCH_ADMIN_PASSWORD: 'pw' }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      expect(code).toBe(1);
      expect(err).toMatch(/cannot read TLS files/);
      expect(err).toMatch(/worker \d exited with code 1 before the controller listened/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/**
 * Runs `serve --workers 2` in its own process group, as a terminal's foreground job or a systemd
 * unit's control group, sends `signal` to the whole group, and returns its exit code and output.
 */
async function signalGroup(signal: NodeJS.Signals): Promise<{ code: number | null; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'mw-cluster-sig-'));
  const cli = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'serve', '--db', `sqlite:${join(dir, 'state.db')}`, '--listen', '127.0.0.1:0',
    '--workers', '2', '--log-level', 'info'], { env: { ...process.env, MODELWATCH_ADMIN_PASSWORD: 'pw' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  try {
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    await waitFor(() => (out.match(/"msg":"controller listening"/g) ?? []).length >= 3, 'both workers and the primary to listen', 60_000);
    process.kill(-(child.pid ?? 0), signal);
    return { code: await exited, out };
  } finally {
    if (child.exitCode === null) process.kill(-(child.pid ?? 0), 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The workers that began a graceful stop on SIGTERM (the primary's). */
const gracefulWorkers = (out: string): string[] =>
  out.split('\n').filter((l) => /"worker":\d/.test(l) && l.includes('"reason":"SIGTERM"') && l.includes('"msg":"shutting down"'));

describe('modelwatch serve --workers 2 and a signal to the whole process group', () => {
  it('Ctrl-C (SIGINT to the group) stops the workers gracefully (they leave it to the primary) and exits 0', async () => {
    const { code, out } = await signalGroup('SIGINT');
    expect(code, out).toBe(0);
    // Each worker stopped because the primary sent it SIGTERM, not killed by the SIGINT itself.
    expect(gracefulWorkers(out), out).toHaveLength(2);
  }, 90_000);

  it("systemd's stop (SIGTERM to the group, then the primary's own) does not cut the workers' graceful stop short", async () => {
    const { code, out } = await signalGroup('SIGTERM');
    expect(code, out).toBe(0);
    expect(gracefulWorkers(out), out).toHaveLength(2);
    expect(out).not.toMatch(/exiting at once/);
  }, 90_000);
});

describePostgres('modelwatch serve --workers 2 on PostgreSQL (NOTIFY carries commits between workers)', () => {
  let db: TestDatabase;
  let ctl: ControllerProcess;

  beforeAll(async () => {
    db = await createTestDatabase('cluster');
    ctl = await startControllerProcess({ db: db.url, adminPassword: ADMIN_PW, args: ['--workers', '2'], readyTimeoutMs: 60_000 });
  }, 90_000);
  afterAll(async () => {
    if (ctl.child.exitCode === null) await ctl.stop();
    await db.drop();
  });

  it('one bootstrap for the cluster, and a write through one worker reaches watchers on both', async () => {
    const models = JSON.parse((await fresh(`${ctl.url}/v1/models`)).body) as { models: Array<{ name: string; uuid: string }> };
    expect(models.models.map((m) => m.name).sort()).toEqual(['controller', 'default']);
    const model = models.models.find((m) => m.name === 'default')?.uuid ?? '';
    const watchers: Watcher[] = [];
    for (let i = 0; i < 4; i++) watchers.push(await Watcher.open(`${ctl.url.replace('http', 'ws')}/model/${model}/api`));
    const workers = new Set<number>();
    for (let i = 0; i < 6; i++) workers.add((await health(ctl.url)).worker);
    expect([...workers].sort()).toEqual([0, 1]);
    expect(await put(ctl.url, `/v1/models/${model}/entities/machine/7`, { series: 'noble' })).toBe(200);
    await waitFor(() => watchers.every((w) => w.deltas.length >= 1), 'every watcher to see machine 7');
    for (const w of watchers) expect(w.deltas).toEqual([['machine', 'change', expect.objectContaining({ id: '7', series: 'noble' })]]);
    watchers.forEach((w) => w.ws.close());
    expect(await ctl.stop()).toBe(0);
  });
});
