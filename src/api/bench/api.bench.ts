// Benchmark of the controller (issue 8): this process hosts a real Controller (SQLite temp file);
// load generators run in child processes (ipc.ts). Phases: 10,000 model clients (RSS and heap per
// connection), 1,000 committed changes/s → client latency and event-loop delay, one change to
// 10,000 controller-wide watchers, and core NATS as a named peer.
// Run: npm run bench:api [-- --quick] [--rate N] [--rest-writer] [--only-load] [--workers N]
// (--workers N: the controller is `serve --workers N`, this process its primary). The writer commits
// through Entities.Update (one model connection per model, as agents write) unless --rest-writer;
// --only-load skips the fan-out and peer phases and writes no results (for tuning). Writes
// bench-results/api.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../core/index.js';
import { clusterHost, inProcessHost } from './host.js';
import { fanoutPhase, modelClientsPhase, natsPhase, startFloor } from './phases.js';
import type { LoadConfig } from './phases.js';
import { machine, openFileLimits, rest, seedUsers } from './setup.js';
import { fmt, r2 } from './stats.js';

// A mistyped flag would silently run the full benchmark with the wrong settings: refuse it.
const FLAGS = new Set(['--quick', '--rate', '--rest-writer', '--only-load', '--workers']);
for (const [i, a] of process.argv.slice(2).entries()) {
  if (!FLAGS.has(a) && process.argv[i + 1] !== '--rate' && process.argv[i + 1] !== '--workers') throw new Error(`unknown argument ${a}: want ${[...FLAGS].join(', ')}`);
}
const workersArg = process.argv.indexOf('--workers');
const WORKERS = workersArg > 0 ? Number(process.argv[workersArg + 1]) : 1;
if (!Number.isInteger(WORKERS) || WORKERS < 1 || WORKERS > 64) throw new Error(`--workers ${String(process.argv[workersArg + 1])}: want an integer 1..64`);
const quick = process.argv.includes('--quick');
const cfg: LoadConfig = quick
  ? { clients: 1000, watchers: 1000, processes: 2, rate: 1000, seconds: 10, entitiesPerModel: 4, trials: 3, concurrency: 64, writeVia: 'rpc' }
  : { clients: 10_000, watchers: 10_000, processes: 2, rate: 1000, seconds: 30, entitiesPerModel: 4, trials: 5, concurrency: 64, writeVia: 'rpc' };
const MODELS = quick ? 100 : 1000;
const rateArg = process.argv.indexOf('--rate');
if (rateArg > 0) {
  const rate = Number(process.argv[rateArg + 1]);
  if (!Number.isInteger(rate) || rate < 1 || rate > 100_000) throw new Error(`--rate ${String(process.argv[rateArg + 1])}: want an integer 1..100000`);
  cfg.rate = rate;
}
const onlyLoad = process.argv.includes('--only-load');
if (process.argv.includes('--rest-writer')) cfg.writeVia = 'rest';
const NATS = '127.0.0.1:4222';

/** Counts the controller's warnings and errors and keeps the first few (findings under load). */
function countingLogger(): Logger & { counts: Record<string, number>; first: string[] } {
  const counts: Record<string, number> = { warn: 0, error: 0 };
  const first: string[] = [];
  const note = (level: string) => (msg: string, fields?: object): void => {
    counts[level] = (counts[level] ?? 0) + 1;
    if (first.length < 20) first.push(`${level}: ${msg}${fields === undefined ? '' : ` ${JSON.stringify(fields).slice(0, 300)}`}`);
  };
  return { counts, first, debug: () => undefined, info: () => undefined, warn: note('warn'), error: note('error') };
}

/** Prints phase 1's figures (controller or floor). */
function printLoad(p1: Record<string, unknown>): void {
  const load = p1.load as Record<string, unknown> & { latencyMs: { p50: number; p99: number; max: number; count: number }; eventLoopDelayMs: { p99: number } };
  console.log(`  committed ${String(load.committed)} (${String(load.committedPerSecond)}/s, ${String(load.writeFailed)} failed), ${String(load.writeVia)} write ${fmt(load.writeMs as never)}`);
  const cpu = load.cpu as Record<string, number>;
  console.log(`  CPU in the write window: ${String(p1.server)} ${String(cpu.controllerMs)} ms, clients ${String(cpu.clientsMs)} ms, writer ${String(cpu.writerMs)} ms; ${String(p1.server)} ${String(cpu.controllerUsPerDelta)} µs per delivered delta (all of its work), clients ${String(cpu.clientsUsPerDelta)} µs per delta, writer ${String(cpu.writerUsPerCommit)} µs per commit`);
  console.log(`  commit → client latency ${fmt(load.latencyMs)}; ${String(load.deltasPerSecond)} deltas/s delivered; ${p1.server === 'controller' ? `controller event-loop delay p99 ${load.eventLoopDelayMs.p99} ms; ` : ''}clients' p99 ${String(load.clientEventLoopDelayP99Ms)} ms`);
}

function reachable(hostPort: string): Promise<boolean> {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const s = netConnect({ host, port: Number(port) }, () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.setTimeout(2000, () => (s.destroy(), resolve(false)));
  });
}

async function main(): Promise<void> {
  const limits = openFileLimits();
  const need = Math.max(cfg.clients, cfg.watchers) + 1000;
  if (limits.soft < need && limits.hard >= need && process.env.BENCH_API_REEXEC === undefined) {
    console.log(`open files: soft limit ${limits.soft} < ${need} needed; re-running under ulimit -n ${limits.hard}`);
    const self = fileURLToPath(import.meta.url);
    const r = spawnSync('bash', ['-c', `ulimit -n ${limits.hard} && exec "${process.execPath}" --expose-gc --import tsx "${self}" ${process.argv.slice(2).join(' ')}`], { stdio: 'inherit', env: { ...process.env, BENCH_API_REEXEC: '1' } });
    process.exit(r.status ?? 1);
  }
  const fdNote = limits.soft >= need ? `ulimit -n ${limits.soft} (hard ${limits.hard}): enough for ${need} sockets per process`
    : `ulimit -n ${limits.soft} (hard ${limits.hard}) < ${need}: connections will fail beyond it`;
  const m = machine();
  console.log(`api benchmark${quick ? ' (--quick)' : ''}: ${String(m.cpu)}, ${String(m.cores)} cores, ${String(m.ramGiB)} GiB, Node ${String(m.node)}, load average ${String(m.loadAvg1m)} (shared machine)`);
  console.log(`  ${fdNote}; the controller holds at most ${need - 1000} client sockets at once (hard limit ${limits.hard}), so the model clients and the controller-wide watchers run one after the other`);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'modelwatch-api-bench-'));
  const db = `sqlite:${path.join(dir, 'state.db')}`;
  const adminPassword = 'bench-admin-password';
  const bench = { user: 'bench', password: 'bench-password' };
  await seedUsers(db, adminPassword, bench.password);

  const logger = countingLogger();
  const host = WORKERS === 1 ? inProcessHost(db, adminPassword, logger) : await clusterHost(db, adminPassword, WORKERS, logger);
  const controllerServer = { kind: 'controller', host } as const;
  const models: string[] = [];
  const results: Record<string, unknown> = { machine: m, quick, date: new Date().toISOString(), openFiles: { ...limits, note: fdNote }, config: { ...cfg, models: MODELS, workers: WORKERS } };
  try {
    const url = await Promise.race([host.listening(), new Promise<string>((_, rej) => setTimeout(() => rej(new Error('controller not listening after 60 s')), 60_000))]);
    const wsUrl = url.replace(/^http/, 'ws');
    console.log(`  controller listening at ${url} (db ${db}; ${WORKERS === 1 ? 'in this process' : `serve --workers ${WORKERS}, this process the primary`})`);

    // Login cost at the default scrypt cost: 8 concurrent REST logins of admin.
    const t0 = performance.now();
    const logins = await Promise.all(Array.from({ length: 8 }, () => rest(url, 'POST', '/v1/login', { basic: `admin:${adminPassword}` })));
    const loginMs = performance.now() - t0;
    const token = String(logins[0]?.token);
    const loginsPerSecond = r2(8 / (loginMs / 1000));
    results.defaultCostLogin = { logins: 8, ms: r2(loginMs), loginsPerSecond, minutesFor10kClients: r2(10_000 / loginsPerSecond / 60) };
    console.log(`  default-cost login: 8 concurrent in ${loginMs.toFixed(0)} ms = ${loginsPerSecond}/s (10,000 clients would need ${r2(10_000 / loginsPerSecond / 60)} min); load generators use a cheap-hash user`);

    const t1 = performance.now();
    for (let i = 0; i < MODELS; i += 8) {
      const batch = await Promise.all(Array.from({ length: Math.min(8, MODELS - i) }, (_, k) => rest(url, 'POST', '/v1/models', { token }, { name: `bench-${i + k}` })));
      for (const b of batch) models.push(String(b.uuid));
    }
    console.log(`  ${models.length} models created in ${((performance.now() - t1) / 1000).toFixed(1)} s`);

    console.log(`phase 1: ${cfg.clients} model clients over ${MODELS} models, then ${cfg.rate} committed changes/s for ${cfg.seconds} s`);
    const p1 = await modelClientsPhase({ url, wsUrl, token, models, cfg, bench, server: controllerServer });
    results.modelClients = p1;
    printLoad(p1);

    if (!onlyLoad) {
      await new Promise((r) => setTimeout(r, 3000));
      console.log(`phase 2: one change seen by ${cfg.watchers} controller-wide watchers (${cfg.trials} trials)`);
      const p2 = await fanoutPhase({ wsUrl, marker: models[0] ?? '', cfg, bench, server: controllerServer });
      results.controllerWide = p2;
      console.log(`  ${String(p2.watchers)} watchers, ${String(p2.rssBytesPerConnection)} B RSS / connection; latency ${fmt(p2.latencyMs as never)}; all delivered after ${JSON.stringify(p2.allDeliveredMs)} ms`);
    }
  } finally {
    await host.stop();
    results.controllerLog = { ...logger.counts, first: logger.first };
    if (logger.counts.warn! + logger.counts.error! > 0) console.log(`  controller logged ${logger.counts.warn} warnings, ${logger.counts.error} errors; first: ${logger.first.slice(0, 5).join(' | ')}`);
    rmSync(dir, { recursive: true, force: true });
  }

  console.log(`phase 1 (floor): the same clients and writer against a bare ws server (floor-server.child.ts), ${cfg.rate} changes/s for ${cfg.seconds} s`);
  const floor = await startFloor();
  try {
    const server = { kind: 'floor', child: floor.child } as const;
    const f1 = await modelClientsPhase({ url: '', wsUrl: floor.wsUrl, token: '', models, cfg, bench, server });
    results.floor = f1;
    printLoad(f1);
    if (!onlyLoad) {
      console.log(`phase 2 (floor): one change seen by ${cfg.watchers} controller-wide watchers of the floor server (${cfg.trials} trials)`);
      const f2 = await fanoutPhase({ wsUrl: floor.wsUrl, marker: models[0] ?? '', cfg, bench, server });
      results.floorControllerWide = f2;
      console.log(`  ${String(f2.watchers)} watchers; latency ${fmt(f2.latencyMs as never)}; all delivered after ${JSON.stringify(f2.allDeliveredMs)} ms`);
    }
  } finally {
    await floor.child.stop();
  }

  if (onlyLoad) return;
  if (await reachable(NATS)) {
    console.log(`phase 3 (peer): core NATS at ${NATS}, ${cfg.clients} subscriber connections, ${cfg.rate} msgs/s for ${cfg.seconds} s`);
    try {
      const p3 = await natsPhase({ server: NATS, models: MODELS, subscribers: cfg.clients, cfg });
      results.nats = p3;
      console.log(`  publish → subscriber latency ${fmt(p3.latencyMs as never)}; ${String(p3.deliveredPerSecond)} msgs/s delivered`);
    } catch (err) {
      results.nats = { skipped: String(err) };
      console.log(`  NATS peer failed: ${String(err)}`);
    }
  } else {
    results.nats = { skipped: `${NATS} not reachable` };
    console.log(`NATS peer skipped: ${NATS} not reachable`);
  }

  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/api.json', `${JSON.stringify(results, null, 2)}\n`);
  console.log('wrote bench-results/api.json');
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
