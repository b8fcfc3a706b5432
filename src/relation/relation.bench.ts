// Benchmark of modelwatch/relation (issue 7).
// 1. A 1,000-unit peer relation joining at once: 1,000 local hook queues (live sources) each take
//    one change with 1,000 remote units = 1M pending joined entries. Target: built in ≤ 2 s CPU.
//    Also ns per entry at growing sizes (O(1) per event: flat) and the drain of every hook.
// 2. 100 settings changes for one remote unit before delivery coalesce into one relation-changed,
//    in the schedule and through a HookSender whose hook is in flight meanwhile.
// Usage: npm run bench:relation [-- --quick]
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { HookInfo, HookSource, RelationUnitsChange } from './index.js';
import { RelationState, newHookSender, newLiveHookSource } from './index.js';
import { FakeRelationUnitsWatcher, drainSource, unitsChange } from './testing/index.js';

const quick = process.argv.includes('--quick');
const QUEUES = quick ? 100 : 1_000;
const REMOTE_UNITS = 1_000;
const BUMPS = 100;
const CPU_TARGET_S = 2;

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const cpuSeconds = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;
const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function joinAll(units: number): RelationUnitsChange {
  const changed: Record<string, { version: number }> = {};
  for (let i = 0; i < units; i++) changed[`peer/${i}`] = { version: 0 };
  return { changed, departed: [] };
}

// --- 1. build 1M pending entries -------------------------------------------------------------
async function buildQueues(queues: number, units: number, yieldEvery: number): Promise<{ sources: HookSource[]; cpuS: number; wallMs: number; updateMs: number[] }> {
  const change = joinAll(units); // the watcher's snapshot: every peer, version 0
  const sources: HookSource[] = [];
  const updateMs: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let q = 0; q < queues; q++) {
    const source = newLiveHookSource(new RelationState(1), new FakeRelationUnitsWatcher());
    const u0 = performance.now();
    source.update(change);
    updateMs.push(performance.now() - u0);
    sources.push(source);
    if (yieldEvery > 0 && q % yieldEvery === yieldEvery - 1) await turn();
  }
  return { sources, cpuS: cpuSeconds(process.cpuUsage(cpu0)), wallMs: performance.now() - t0, updateMs };
}

/** ns of CPU per pending entry at a given size (flat ⇒ O(1) per event). */
async function nsPerEntry(queues: number, units: number): Promise<number> {
  gc();
  const { cpuS } = await buildQueues(queues, units, 0);
  return Math.round((cpuS * 1e9) / (queues * units));
}

// --- 2. coalescing -----------------------------------------------------------------------------
function coalesceInSchedule(): HookInfo[] {
  const source = newLiveHookSource(new RelationState(1, new Map([['wordpress/0', 0]])), new FakeRelationUnitsWatcher());
  source.update(unitsChange({ 'wordpress/0': 0 }));
  for (let v = 1; v <= BUMPS; v++) source.update(unitsChange({ 'wordpress/0': v }));
  return drainSource(source);
}

async function coalesceThroughSender(): Promise<HookInfo[]> {
  const watcher = new FakeRelationUnitsWatcher();
  const source = newLiveHookSource(new RelationState(1, new Map([['wordpress/0', 0], ['mysql/0', 0]])), watcher);
  const delivered: HookInfo[] = [];
  let release: (() => void) | undefined;
  const sender = newHookSender((hook) => {
    delivered.push(hook);
    // The first hook stays in flight while the 100 bumps arrive.
    return delivered.length === 1 ? new Promise<void>((r) => { release = r; }) : Promise.resolve();
  }, source);
  watcher.send(unitsChange({ 'wordpress/0': 0, 'mysql/0': 1 }));
  while (release === undefined) await turn();
  for (let v = 1; v <= BUMPS; v++) watcher.send(unitsChange({ 'wordpress/0': v }));
  release();
  while (watcher.pending > 0 || delivered.length < 2) await turn();
  for (let i = 0; i < 5; i++) await turn();
  await sender.stop();
  return delivered;
}

async function main(): Promise<void> {
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, ramGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version, quick, shared: true,
  };
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.ramGiB} GiB, Node ${machine.node}${quick ? ' (quick)' : ''}`);

  await buildQueues(50, REMOTE_UNITS, 0); // JIT warm-up, not measured
  // O(1) per event: CPU per entry at 1%, 10% and 100% of the full size.
  const scaling: { entries: number; nsPerEntry: number }[] = [];
  for (const q of [QUEUES / 100, QUEUES / 10, QUEUES].map((x) => Math.max(1, Math.round(x)))) {
    if (q === QUEUES) continue; // the full size is measured below
    scaling.push({ entries: q * REMOTE_UNITS, nsPerEntry: await nsPerEntry(q, REMOTE_UNITS) });
  }

  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const built = await buildQueues(QUEUES, REMOTE_UNITS, 1);
  loop.disable();
  gc();
  const mem = process.memoryUsage();
  const entries = QUEUES * REMOTE_UNITS;
  scaling.push({ entries, nsPerEntry: Math.round((built.cpuS * 1e9) / entries) });
  const sorted = [...built.updateMs].sort((a, b) => a - b);
  const build = {
    queues: QUEUES, remoteUnits: REMOTE_UNITS, pendingEntries: entries,
    cpuS: Math.round(built.cpuS * 1000) / 1000, wallMs: Math.round(built.wallMs),
    targetCpuS: CPU_TARGET_S, pass: built.cpuS <= CPU_TARGET_S,
    updateMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN },
    heapMiB: mib(mem.heapUsed - heap0), bytesPerEntry: Math.round((mem.heapUsed - heap0) / entries), rssMiB: mib(mem.rss),
    eventLoopDelayMs: { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
  };
  console.log(`build: ${QUEUES} queues × ${REMOTE_UNITS} units = ${entries} pending in ${build.cpuS} s CPU (${build.wallMs} ms wall) — target ≤ ${CPU_TARGET_S} s: ${build.pass ? 'PASS' : 'FAIL'}`);
  console.log(`  update (one 1,000-unit change) ms p50 ${build.updateMs.p50.toFixed(2)} p99 ${build.updateMs.p99.toFixed(2)} max ${build.updateMs.max.toFixed(2)}`);
  console.log(`  heap +${build.heapMiB} MiB (${build.bytesPerEntry} B/entry), RSS ${build.rssMiB} MiB, event-loop delay p50 ${build.eventLoopDelayMs.p50.toFixed(1)} p99 ${build.eventLoopDelayMs.p99.toFixed(1)} max ${build.eventLoopDelayMs.max.toFixed(1)} ms`);
  console.log(`  scaling (CPU ns per entry): ${scaling.map((s) => `${s.entries}: ${s.nsPerEntry}`).join(', ')}`);

  // Drain every hook: joined then changed per entry; pops are O(1) (a linked-list FIFO).
  const cpu0 = process.cpuUsage();
  let hooks = 0;
  for (const source of built.sources) hooks += drainSource(source, 2 * REMOTE_UNITS + 1).length;
  const drainCpuS = cpuSeconds(process.cpuUsage(cpu0));
  const drain = { hooks, cpuS: Math.round(drainCpuS * 1000) / 1000, nsPerHook: Math.round((drainCpuS * 1e9) / hooks) };
  console.log(`drain: ${hooks} hooks (next + pop) in ${drain.cpuS} s CPU, ${drain.nsPerHook} ns/hook`);

  const inSchedule = coalesceInSchedule();
  const throughSender = await coalesceThroughSender();
  const coalesce = {
    bumps: BUMPS,
    schedule: inSchedule.map((h) => `${h.kind} ${h.remoteUnit}@${h.changeVersion}`),
    sender: throughSender.map((h) => `${h.kind} ${h.remoteUnit}@${h.changeVersion}`),
  };
  coalesce.schedule.length === 1 && coalesce.sender.length === 2 && coalesce.sender[1] === `relation-changed wordpress/0@${BUMPS}`
    ? console.log(`coalesce: ${BUMPS} bumps → ${coalesce.schedule.join('; ')} (schedule); sender: ${coalesce.sender.join('; ')} — PASS`)
    : console.log(`coalesce: FAIL ${JSON.stringify(coalesce)}`);

  const result = { module: 'relation', date: new Date().toISOString(), machine, build, scaling, drain, coalesce };
  writeFileSync(new URL('../../bench-results/relation.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  console.log('wrote bench-results/relation.json');
}

await main();
