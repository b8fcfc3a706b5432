// Benchmark of modelwatch/presence (issue 5). Per backend (memory, SQLite, PostgreSQL):
//  A. load at real time: 100,000 agents (pingers sharing one batcher, P = 30 s) over 100 models with
//     a watcher each: write transactions/s (target ≤ 1), rows per flush, CPU share of one core
//     (target ≤ 10 %), memory, event-loop delay; plus the start-up cost (one allocation per agent).
//  B. detection latency on a compressed ManualClock: kill (clean disconnect) and silent stop, as
//     multiples of P; plus the real time from killForTesting() to the listener for kills.
//  C. (--etcd, optional) the same agents as etcd leases with keepalives, as a peer.
// Usage: npm run bench:presence [-- --quick] [-- --backends=memory,sqlite,postgres] [-- --etcd]
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ManualClock, SystemClock, nullLogger, seededRandom } from '../core/index.js';
import { MemoryPresenceStore, PingBatcher, Pinger, PresenceWatcher } from './index.js';
import type { Change, PresenceStore } from './index.js';
import { FaultyPresenceStore, trackInflight } from './testing/index.js';
import { etcdPeer } from './etcd-peer.bench.js';
import type { EtcdPeerResult } from './etcd-peer.bench.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const withEtcd = argv.includes('--etcd');
const backends = (argv.find((a) => a.startsWith('--backends='))?.slice('--backends='.length).split(',') ?? ['memory', 'sqlite', 'postgres']).filter((b) => b !== '') as BackendName[];

const PERIOD_MS = 30_000;
const AGENTS = quick ? 10_000 : 100_000;
const MODELS = quick ? 10 : 100;
const STAGGER_MS = quick ? 3_000 : 23_000; // starts spread over I, so ping phases are uniform
const MEASURE_MS = quick ? 25_000 : 60_000; // ≥ I, so every agent pings at least once in it
const LAT_AGENTS = quick ? 400 : 2_000;
const LAT_MODELS = 10;

const uuid = (i: number): string => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const mb = (b: number): number => Math.round(b / 1048576);
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
const sleepReal = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function percentiles(values: number[]): { n: number; p50: number; p90: number; p99: number; max: number; mean: number } {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number): number => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return { n: s.length, p50: round(at(50), 3), p90: round(at(90), 3), p99: round(at(99), 3), max: round(s.at(-1) ?? NaN, 3), mean: round(mean, 3) };
}

// --- Backends ----------------------------------------------------------------------------------
type BackendName = 'memory' | 'sqlite' | 'postgres';

/** Opens a backend's PresenceStore; undefined when it is not available (no presenceStore() yet). */
async function openBackend(name: BackendName): Promise<{ store: PresenceStore; close(): Promise<void> } | undefined> {
  if (name === 'memory') return { store: new MemoryPresenceStore(), close: () => Promise.resolve() };
  // Imported here, not at the top: presence does not depend on state; only this benchmark does.
  const { openState } = await import('../state/index.js');
  const clock = new SystemClock();
  if (name === 'sqlite') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mw-presence-bench-'));
    const state = await openState(`sqlite:${path.join(dir, 'state.db')}`, { clock, logger: nullLogger });
    const store = (state as unknown as { presenceStore?: () => PresenceStore }).presenceStore?.();
    const close = async (): Promise<void> => {
      await state.close();
      rmSync(dir, { recursive: true, force: true });
    };
    if (store === undefined) await close();
    return store === undefined ? undefined : { store, close };
  }
  const admin = process.env.MODELWATCH_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const pg = (await import('pg')).default;
  const dbName = `mw_bench_presence_${process.pid}`;
  const run = async (sql: string): Promise<void> => {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  try {
    await run(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await run(`CREATE DATABASE ${dbName}`);
  } catch (err) {
    console.log(`  postgres: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
  const u = new URL(admin);
  u.pathname = `/${dbName}`;
  const state = await openState(u.toString(), { clock, logger: nullLogger });
  const store = (state as unknown as { presenceStore?: () => PresenceStore }).presenceStore?.();
  const close = async (): Promise<void> => {
    await state.close();
    await run(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  };
  if (store === undefined) await close();
  return store === undefined ? undefined : { store, close };
}

// --- A. Load at real time ----------------------------------------------------------------------
async function load(name: BackendName, store: PresenceStore): Promise<Record<string, unknown>> {
  const clock = new SystemClock();
  const counted = new FaultyPresenceStore(store); // counts calls only; injects nothing
  const batcher = new PingBatcher({ store: counted, flushInterval: 1000, clock, logger: nullLogger });
  const watchers: PresenceWatcher[] = [];
  for (let m = 0; m < MODELS; m++) watchers.push(new PresenceWatcher({ store: counted, modelUUID: uuid(m), clock, period: PERIOD_MS }));
  const pingers: Pinger[] = [];
  for (let i = 0; i < AGENTS; i++) {
    pingers.push(new Pinger({ store: counted, modelUUID: uuid(i % MODELS), key: `u#app-${Math.floor(i / MODELS)}/0`, clock, recorder: () => batcher }));
  }
  // Start-up: one allocation transaction per agent, spread over STAGGER_MS, ≤ 64 in flight.
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let next = 0;
  const startOne = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= AGENTS) return;
      const due = t0 + (i / AGENTS) * STAGGER_MS;
      const wait = due - performance.now();
      if (wait > 1) await sleepReal(wait);
      await pingers[i]?.start();
    }
  };
  await Promise.all(Array.from({ length: 64 }, startOne));
  const startMs = performance.now() - t0;
  const startCpu = process.cpuUsage(cpu0);
  await sleepReal(2_000); // let the last starts flush
  for (const w of watchers) await w.sync();
  const aliveAfterStart = watchers.reduce((n, w) => n + Number(w.report()['alive-keys']), 0);

  // Steady state.
  gc();
  const b0 = batcher.report();
  const reads0 = counted.count('readPings');
  const eld = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();
  const cpu1 = process.cpuUsage();
  const w0 = performance.now();
  let rssMax = 0;
  while (performance.now() - w0 < MEASURE_MS) {
    await sleepReal(1_000);
    rssMax = Math.max(rssMax, process.memoryUsage().rss);
  }
  const wallMs = performance.now() - w0;
  const cpu = process.cpuUsage(cpu1);
  eld.disable();
  const b1 = batcher.report();
  const flushes = Number(b1.flushes) - Number(b0.flushes);
  const rows = Number(b1['rows-written']) - Number(b0['rows-written']);
  const pings = Number(b1['pings-received']) - Number(b0['pings-received']);
  const mem = process.memoryUsage();
  const aliveAtEnd = watchers.reduce((n, w) => n + Number(w.report()['alive-keys']), 0);
  for (const p of pingers) await p.stop();
  for (const w of watchers) await w.stop();
  await batcher.stop();
  const result = {
    backend: name, agents: AGENTS, models: MODELS,
    'start-s': round(startMs / 1000), 'starts-per-s': Math.round(AGENTS / (startMs / 1000)),
    'start-cpu-share': round((startCpu.user + startCpu.system) / 1000 / startMs, 3),
    'alive-after-start': aliveAfterStart, 'alive-at-end': aliveAtEnd,
    'measure-s': round(wallMs / 1000, 1),
    'write-txn-per-s': round(flushes / (wallMs / 1000), 3),
    'rows-per-flush': round(rows / Math.max(1, flushes), 1),
    'pings-per-s': Math.round(pings / (wallMs / 1000)),
    'watcher-reads-per-s': round((counted.count('readPings') - reads0) / (wallMs / 1000), 2),
    'cpu-share': round((cpu.user + cpu.system) / 1000 / wallMs, 4),
    'rss-mb': mb(mem.rss), 'rss-max-mb': mb(rssMax), 'heap-used-mb': mb(mem.heapUsed),
    'eld-ms': { p50: round(eld.percentile(50) / 1e6), p99: round(eld.percentile(99) / 1e6), max: round(eld.max / 1e6) },
  };
  console.log(`  load ${name}:`, JSON.stringify(result));
  return result;
}

// --- B. Detection latency on a compressed clock -------------------------------------------------
async function latency(name: BackendName, inner: PresenceStore): Promise<Record<string, unknown>> {
  const random = seededRandom(42);
  const { store, settle: idle } = trackInflight(inner);
  const base = Math.ceil(2_000_000_000_000 / PERIOD_MS) * PERIOD_MS;
  const clock = new ManualClock(base);
  const advanceTo = (t: number): Promise<void> => clock.advanceAsync(Math.max(0, base + t - clock.now()), idle);
  const batcher = new PingBatcher({ store, flushInterval: 1000, clock, random });
  const models = Array.from({ length: LAT_MODELS }, (_, m) => uuid(1_000_000 + m));
  // Watchers start at random phases within the first P, agents at random times within it too.
  type Agent = { key: string; model: string; pinger: Pinger; startAt: number; eventAt?: number; event?: 'kill' | 'stop'; deadAt?: number; falseDeath?: boolean; seenAlive?: boolean; killWallMs?: number; killWall0?: number };
  const agents: Agent[] = [];
  for (let i = 0; i < LAT_AGENTS; i++) {
    const model = models[i % LAT_MODELS] as string;
    const key = `u#lat-${i}/0`;
    agents.push({ key, model, startAt: random() * PERIOD_MS, pinger: new Pinger({ store, modelUUID: model, key, clock, recorder: () => batcher }) });
  }
  const watchers = new Map<string, PresenceWatcher>();
  const watcherStarts = models.map((m) => ({ m, at: random() * PERIOD_MS })).sort((a, b) => a.at - b.at);
  const schedule: { at: number; run: () => Promise<void>; killed?: Agent }[] = [];
  for (const w of watcherStarts) {
    schedule.push({
      at: w.at, run: () => {
        const watcher = new PresenceWatcher({ store, modelUUID: w.m, clock, random, logger: nullLogger });
        watchers.set(w.m, watcher);
        for (const a of agents.filter((x) => x.model === w.m)) {
          watcher.watch(a.key, (c: Change) => {
            if (c.alive) {
              a.seenAlive = true;
              return;
            }
            if (a.deadAt !== undefined || a.seenAlive !== true) return; // the initial status before its start
            if (a.eventAt === undefined) {
              a.falseDeath = true;
              return;
            }
            a.deadAt = clock.now() - base;
            if (a.killWall0 !== undefined) a.killWallMs = performance.now() - a.killWall0;
          });
        }
        return Promise.resolve();
      },
    });
  }
  for (const a of agents) schedule.push({ at: a.startAt, run: () => a.pinger.start() });
  // Events: half kills, half silent stops, at random times over [2P, 4P) (steady state by then).
  agents.forEach((a, i) => {
    a.event = i % 2 === 0 ? 'kill' : 'stop';
    schedule.push({
      at: 2 * PERIOD_MS + random() * 2 * PERIOD_MS, ...(a.event === 'kill' ? { killed: a } : {}), run: async () => {
        a.eventAt = clock.now() - base;
        if (a.event === 'kill') {
          a.killWall0 = performance.now();
          await a.pinger.killForTesting();
        } else await a.pinger.stop();
      },
    });
  });
  schedule.sort((x, y) => x.at - y.at);
  const w0 = performance.now();
  for (const s of schedule) {
    await advanceTo(s.at);
    await s.run();
    // The doorbell travels in real time (PostgreSQL NOTIFY): hold the compressed clock until it
    // has been heard, as a real clock would barely move in those milliseconds (bounded at 2 s).
    const killed = s.killed;
    for (let i = 0; killed !== undefined && killed.deadAt === undefined && i < 400; i++) await sleepReal(5);
  }
  await advanceTo(8 * PERIOD_MS);
  const wallMs = performance.now() - w0;
  const falseDeaths = agents.filter((a) => a.falseDeath === true).length;
  const missed = agents.filter((a) => a.deadAt === undefined).length;
  const ofKind = (k: 'kill' | 'stop'): number[] =>
    agents.filter((a) => a.event === k && a.deadAt !== undefined && a.eventAt !== undefined).map((a) => ((a.deadAt ?? 0) - (a.eventAt ?? 0)) / PERIOD_MS);
  const killWall = agents.filter((a) => a.killWallMs !== undefined).map((a) => a.killWallMs ?? 0);
  for (const w of watchers.values()) await w.stop();
  await batcher.stop();
  const result = {
    backend: name, agents: LAT_AGENTS, models: LAT_MODELS, 'compressed-run-s': round(wallMs / 1000, 1),
    'kill-latency-periods': percentiles(ofKind('kill')),
    'kill-latency-real-ms': percentiles(killWall),
    'stop-latency-periods': percentiles(ofKind('stop')),
    'false-deaths': falseDeaths, missed,
  };
  console.log(`  latency ${name}:`, JSON.stringify(result));
  return result;
}

// --- main ---------------------------------------------------------------------------------------
async function main(): Promise<void> {
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, 'ram-gb': Math.round(os.totalmem() / 2 ** 30),
    node: process.version, quick, shared: 'other helpers ran tests on the same machine',
  };
  console.log('presence benchmark', JSON.stringify(machine));
  const results: Record<string, unknown> = { machine, 'period-ms': PERIOD_MS, loads: [], latencies: [], etcd: undefined };
  const loads = results.loads as unknown[];
  const latencies = results.latencies as unknown[];
  for (const name of backends) {
    const opened = await openBackend(name);
    if (opened === undefined) {
      console.log(`  ${name}: not available, skipped`);
      continue;
    }
    try {
      latencies.push(await latency(name, opened.store));
      gc();
      loads.push(await load(name, opened.store));
    } finally {
      await opened.close();
    }
    gc();
  }
  if (withEtcd) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mw-etcd-'));
    try {
      const etcd: EtcdPeerResult = await etcdPeer({ dir, leases: quick ? 1_000 : 10_000, ttlS: PERIOD_MS / 1000, measureMs: MEASURE_MS, quick });
      results.etcd = etcd;
      console.log('  etcd:', JSON.stringify(etcd));
    } catch (err) {
      console.log('  etcd: failed', err instanceof Error ? err.message : String(err));
      results.etcd = { error: err instanceof Error ? err.message : String(err) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  writeFileSync('bench-results/presence.json', `${JSON.stringify(results, null, 2)}\n`);
  console.log('wrote bench-results/presence.json');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
