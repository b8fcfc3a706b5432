// Benchmark of modelwatch/state (issue 4). SQLite: changes/s with 100 changes per transaction and
// single-change transactions/s, alone and 8 issued together (group commit), each sustained (30 s; --quick 3 s). PostgreSQL: txn/s from 4 writer
// processes and commit → reader-in-another-process latency. getAll of 100,000 entities on both.
// Peers on comparable workloads: etcd and NATS JetStream (skipped when unavailable).
// Usage: npm run bench:state [-- --quick]   (PostgreSQL: MODELWATCH_TEST_POSTGRES or the local default)
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';
import type { EntityInfo, EntityId } from '../core/index.js';
import { entityKey } from '../core/index.js';
import { createTestDatabase } from '../testing/index.js';
import { openState } from './open-state.js';
import type { State, StateOp } from './state.js';
import { benchEtcd, benchNats } from './bench/peers.bench.js';
import type { PeerResult } from './bench/peers.bench.js';

const quick = process.argv.includes('--quick');
const SUSTAIN_S = quick ? 3 : 30;
const PG_S = quick ? 4 : 15;
const PEER_S = quick ? 2 : 10;
const GETALL_N = quick ? 20_000 : 100_000;
const PG_URL = process.env.MODELWATCH_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const M = '00000000-0000-4000-8000-0000000000a0';
const PROBE_M = '00000000-0000-4000-8000-0000000000c0';

const machine = (i: number, v: number): EntityInfo => ({
  kind: 'machine', modelUUID: M, id: String(i),
  data: { series: 'jammy', 'agent-status': { current: 'started', since: '2024-01-01T00:00:00Z' }, 'instance-id': `i-${i}`, v },
});
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const rssMiB = (): number => round(process.memoryUsage().rss / 2 ** 20, 1);

/** CPU seconds of this process's main thread (Linux); the SQLite checkpoint worker runs beside it. */
function mainThreadCpuS(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Runs `step` back to back for `seconds`; reports throughput overall and of the slowest second. */
async function sustain(seconds: number, changesPerStep: number, step: (i: number) => Promise<unknown>) {
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  const lat: number[] = [];
  const perSecond: number[] = [];
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuS();
  const start = performance.now();
  let windowStart = start;
  let windowSteps = 0;
  let steps = 0;
  while (performance.now() - start < seconds * 1000) {
    const t0 = performance.now();
    await step(steps++);
    const t1 = performance.now();
    lat.push(t1 - t0);
    windowSteps++;
    if (t1 - windowStart >= 1000) {
      perSecond.push((windowSteps * 1000) / (t1 - windowStart));
      windowStart = t1;
      windowSteps = 0;
    }
  }
  eld.disable();
  const elapsedS = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const main1 = mainThreadCpuS();
  const mainS = main0 === undefined || main1 === undefined ? undefined : main1 - main0;
  return {
    txnPerS: round(steps / elapsedS, 0),
    // On a shared machine wall-clock rates mostly measure the scheduler; per CPU-second of this
    // process is what the code costs (it excludes time blocked in fsync).
    txnPerCpuS: round(steps / cpuS, 0),
    // The main thread alone: what bounds the rate when a second core is free for the worker.
    txnPerMainThreadCpuS: mainS === undefined ? undefined : round(steps / mainS, 0),
    cpuShare: round(cpuS / elapsedS, 2),
    changesPerS: round((steps * changesPerStep) / elapsedS, 0),
    slowestSecondTxnPerS: round(Math.min(...perSecond), 0),
    latencyMs: { p50: round(pct(lat, 50), 3), p99: round(pct(lat, 99), 3), max: round(lat.reduce((a, b) => Math.max(a, b), 0), 3) },
    eventLoopDelayMs: { p99: round(eld.percentile(99) / 1e6), max: round(eld.max / 1e6) },
    rssMiB: rssMiB(),
  };
}

async function fill(state: State, n: number, perTxn: number): Promise<void> {
  for (let i = 0; i < n; i += perTxn) {
    const ops: StateOp[] = [];
    for (let j = i; j < Math.min(n, i + perTxn); j++) ops.push({ op: 'update', entity: machine(j, 0) });
    await state.apply(ops);
  }
}

/** getAll into a Map store, as the multiwatcher would load it at start. */
async function timeGetAll(state: State, expected: number) {
  gc();
  const map = new Map<string, EntityInfo>();
  const store = { update: (e: EntityInfo) => void map.set(entityKey(e), e), remove: (id: EntityId) => void map.delete(entityKey(id)), get: (id: EntityId) => map.get(entityKey(id)) };
  const backing = state.allWatcherBacking();
  const t0 = performance.now();
  await backing.getAll(store);
  const ms = performance.now() - t0;
  await backing.release?.();
  if (map.size !== expected) throw new Error(`getAll loaded ${map.size}, expected ${expected}`);
  return { entities: expected, ms: round(ms, 1), rssMiB: rssMiB() };
}

async function benchSqlite() {
  const dir = mkdtempSync(join(os.tmpdir(), 'mw-state-bench-'));
  try {
    const batched = await openState(`sqlite:${join(dir, 'batched.db')}`);
    const b = await sustain(SUSTAIN_S, 100, (t) => batched.apply(Array.from({ length: 100 }, (_, j) => ({ op: 'update' as const, entity: machine((t * 100 + j) % 100_000, t) }))));
    await batched.close();
    console.log(`sqlite  100 changes/txn : ${b.changesPerS} changes/s (slowest second ${b.slowestSecondTxnPerS * 100}; ${b.txnPerCpuS * 100} per CPU-s, CPU share ${b.cpuShare}), txn p50 ${b.latencyMs.p50} ms p99 ${b.latencyMs.p99} ms`);
    const single = await openState(`sqlite:${join(dir, 'single.db')}`);
    const s = await sustain(SUSTAIN_S, 1, (t) => single.update(machine(t % 100_000, t)));
    await single.close();
    console.log(`sqlite  1 change/txn    : ${s.txnPerS} txn/s (slowest second ${s.slowestSecondTxnPerS}; ${s.txnPerCpuS} per CPU-s, ${s.txnPerMainThreadCpuS} per main-thread CPU-s, CPU share ${s.cpuShare}), p50 ${s.latencyMs.p50} ms p99 ${s.latencyMs.p99} ms`);
    // 8 single-change applies issued together (as a controller's connections write): group commit.
    const grouped = await openState(`sqlite:${join(dir, 'grouped.db')}`);
    const c = await sustain(SUSTAIN_S, 8, (t) => Promise.all(Array.from({ length: 8 }, (_, j) => grouped.update(machine((t * 8 + j) % 100_000, t)))));
    await grouped.close();
    const applies = { perS: c.changesPerS, perCpuS: c.txnPerCpuS * 8, cpuUsPerApply: round(1e6 / (c.txnPerCpuS * 8), 1) };
    console.log(`sqlite  1 change/txn ×8 : ${applies.perS} applies/s issued 8 at a time (${applies.perCpuS} per CPU-s = ${applies.cpuUsPerApply} µs CPU each, CPU share ${c.cpuShare}), group of 8 p50 ${c.latencyMs.p50} ms p99 ${c.latencyMs.p99} ms`);
    const big = await openState(`sqlite:${join(dir, 'getall.db')}`);
    await fill(big, GETALL_N, 1_000);
    const g = await timeGetAll(big, GETALL_N);
    await big.close();
    console.log(`sqlite  getAll          : ${g.entities} entities in ${g.ms} ms`);
    return { batched100: b, single: s, concurrent8: { ...c, applies }, getAll: g };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function spawnChild(script: string, args: string[]) {
  const path = fileURLToPath(new URL(`./bench/${script}`, import.meta.url));
  const proc = spawn(process.execPath, ['--import', 'tsx', path, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  return { proc, lines: createInterface({ input: proc.stdout })[Symbol.asyncIterator]() };
}

async function benchPostgres() {
  try {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.end();
  } catch (err) {
    console.log(`postgres: SKIPPED (${err instanceof Error ? err.message : String(err)})`);
    return undefined;
  }
  process.env.MODELWATCH_TEST_POSTGRES = PG_URL;
  const db = await createTestDatabase('bench');
  try {
    const state = await openState(db.url);
    const reader = spawnChild('pg-reader.bench.ts', [db.url, PROBE_M]);
    if ((await reader.lines.next()).value !== 'ready') throw new Error('reader did not start');
    const received = new Map<string, number>();
    const readerDone = (async () => {
      for (let r = await reader.lines.next(); r.done !== true; r = await reader.lines.next()) {
        const [id, at] = r.value.split(' ');
        if (id !== undefined && at !== undefined) received.set(id, Number(at));
      }
    })();
    const writers = [0, 1, 2, 3].map((i) => spawnChild('pg-writer.bench.ts', [db.url, String(PG_S * 1000), '8', String(i)]));
    await new Promise((r) => setTimeout(r, 1500)); // let the writers connect
    for (const w of writers) w.proc.stdin.write('go\n');
    // Probe commits at 50/s from this process while the writers load the database.
    const sent = new Map<string, number>();
    const probeEnd = performance.now() + PG_S * 1000;
    for (let k = 0; performance.now() < probeEnd; k++) {
      const id = `p${k}`;
      sent.set(id, performance.timeOrigin + performance.now());
      await state.update({ kind: 'machine', modelUUID: PROBE_M, id, data: { k } });
      await new Promise((r) => setTimeout(r, 20));
    }
    const summaries = await Promise.all(writers.map(async (w) => JSON.parse((await w.lines.next()).value as string) as { txns: number; p50Ms: number; p99Ms: number; cpuS: number; batches: number }));
    await new Promise((r) => setTimeout(r, 500));
    reader.proc.stdin.write('stop\n');
    await readerDone;
    const lat = [...sent].flatMap(([id, t]) => (received.has(id) ? [received.get(id)! - t] : []));
    const txns = summaries.reduce((n, s) => n + s.txns, 0);
    const writerCpuS = summaries.reduce((n, w) => n + w.cpuS, 0);
    const writersResult = {
      processes: 4, loopsPerProcess: 8, seconds: PG_S, txnPerS: round(txns / PG_S, 0),
      // CPU of the writer processes only (the server's is not visible from here).
      txnPerWriterCpuS: round(txns / writerCpuS, 0),
      plansPerBatch: round(txns / summaries.reduce((n, w) => n + w.batches, 0), 1),
      applyLatencyMs: { p50: round(pct(summaries.map((s) => s.p50Ms), 50), 2), p99: round(Math.max(...summaries.map((s) => s.p99Ms)), 2) },
    };
    const latency = {
      probes: sent.size, received: lat.length,
      ms: { p50: round(pct(lat, 50)), p99: round(pct(lat, 99)), max: round(Math.max(...lat)) },
    };
    console.log(`postgres 4 writers×8    : ${writersResult.txnPerS} txn/s (${writersResult.txnPerWriterCpuS} per writer CPU-s, ${writersResult.plansPerBatch} applies per statement), apply p50 ${writersResult.applyLatencyMs.p50} ms p99 ${writersResult.applyLatencyMs.p99} ms`);
    console.log(`postgres commit→reader  : p50 ${latency.ms.p50} ms p99 ${latency.ms.p99} ms max ${latency.ms.max} ms (${latency.received}/${latency.probes} probes, from apply call)`);
    await fill(state, GETALL_N, 1_000);
    await state.close();
    const fresh = await openState(db.url);
    const g = await timeGetAll(fresh, GETALL_N + sent.size + txns > 0 ? (await fresh.list()).length : 0);
    await fresh.close();
    console.log(`postgres getAll         : ${g.entities} entities in ${g.ms} ms`);
    return { writers: writersResult, commitToReader: latency, getAll: g };
  } finally {
    await db.drop();
  }
}

const machineInfo = {
  cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, ramGiB: round(os.totalmem() / 2 ** 30, 1),
  node: process.version, shared: 'yes: other helpers ran tests concurrently', quick,
  loadAverageAtStart: os.loadavg().map((x) => round(x)),
};
console.log(`machine: ${machineInfo.cpu}, ${machineInfo.cores} cores, ${machineInfo.ramGiB} GiB, Node ${machineInfo.node}, load average ${machineInfo.loadAverageAtStart.join(' ')}${quick ? ' (--quick)' : ''}`);
const sqlite = await benchSqlite();
const postgres = await benchPostgres();
const peers: PeerResult[] = [...(await benchEtcd(PEER_S)), ...(await benchNats(PEER_S))];
for (const p of peers) console.log(`peer ${p.peer.padEnd(15)}: ${p.workload}: ${round(p.perSecond, 0)} ${p.unit}`);
mkdirSync('bench-results', { recursive: true });
const out = quick ? 'bench-results/state.quick.json' : 'bench-results/state.json'; // a smoke run never replaces the figures
const loadAverageAtEnd = os.loadavg().map((x) => round(x));
console.log(`load average at end: ${loadAverageAtEnd.join(' ')}`);
writeFileSync(out, `${JSON.stringify({ machine: { ...machineInfo, loadAverageAtEnd }, sqlite, postgres, peers: peers.map((p) => ({ ...p, perSecond: round(p.perSecond, 0) })) }, null, 2)}\n`);
console.log(`wrote ${out}`);
process.exit(0);
