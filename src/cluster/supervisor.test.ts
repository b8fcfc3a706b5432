// The cluster primary with real forked workers: a tiny plain-JS worker (written to a temp dir) that
// speaks the IPC messages, so each hazard runs against Node's real cluster module in milliseconds.
import cluster from 'node:cluster';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, hasCode, nullLogger } from '../core/index.js';
import { ClusterSupervisor } from './supervisor.js';
import type { ClusterSupervisorConfig } from './supervisor.js';

// FAKE_MODES (one per worker index): 'silent' neither listens nor answers for its metrics (a worker still booting); 'mute'
// listens but never answers for its metrics (a worker that is dying or hung).
const WORKER = `
const index = Number(process.env.MODELWATCH_WORKER_INDEX);
const mode = (process.env.FAKE_MODES ?? '').split(',')[index] ?? '';
const metrics = [{ name: 'fake_total', help: 'h', type: 'counter', aggregator: 'sum', values: [{ value: index + 1, labels: {} }] }];
process.on('message', (m) => {
  if (m?.type === 'modelwatch:stats-request') {
    process.send({ type: 'modelwatch:stats', id: m.id, stats: { index, pid: process.pid, rssBytes: 1, heapUsedBytes: 1, cpuUs: 1, eventLoopDelayMs: { p50: 0, p99: 0, max: 0 } } });
  }
  if (mode === 'silent' || mode === 'mute') return;
  if (m?.type === 'modelwatch:registry-request') process.send({ type: 'modelwatch:registry', id: m.id, metrics });
});
process.on('SIGTERM', () => process.exit(0));
if (mode !== 'silent') process.send({ type: 'modelwatch:listening', url: 'http://127.0.0.1:1' });
setInterval(() => {}, 60_000);
`;

let dir: string;
let script: string;
const started: ClusterSupervisor[] = [];


beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mw-supervisor-'));
  script = join(dir, 'worker.mjs');
  writeFileSync(script, WORKER);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  for (const s of started.splice(0)) {
    s.kill();
    await Promise.race([s.wait().catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
  }
});

function start(clock: ManualClock, workers: number, extra: Partial<ClusterSupervisorConfig> = {}): ClusterSupervisor {
  const s = ClusterSupervisor.start({ workers, exec: script, args: [], execArgv: [], clock, logger: nullLogger, ...extra });
  started.push(s);
  return s;
}

const pids = (s: ClusterSupervisor): number[] =>
  (s.report().workers as Array<{ pid: number | undefined }>).map((w) => w.pid ?? -1);

/** Waits until all `n` workers answer stats (a message to a worker still booting is lost). */
async function allUp(s: ClusterSupervisor, clock: ManualClock, n: number): Promise<void> {
  for (;;) {
    const stats = s.stats();
    await new Promise((r) => setTimeout(r, 50));
    clock.advance(5000);
    if ((await stats).length === n) return;
  }
}

/** Blocks this thread: the primary handles no I/O meanwhile, so it has not seen a death yet. */
const blockMs = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Collects uncaught exceptions (an 'error' event nobody listens to) while `fn` runs. */
async function uncaughtDuring(fn: () => Promise<void>): Promise<unknown[]> {
  const errors: unknown[] = [];
  const onError = (err: unknown): void => void errors.push(err);
  process.on('uncaughtException', onError);
  try {
    await fn();
  } finally {
    process.off('uncaughtException', onError);
  }
  return errors;
}

describe('ClusterSupervisor', { timeout: 10_000 }, () => {
  it('a send to a worker that just died does not crash the primary (EPIPE before its exit is seen)', async () => {
    const clock = new ManualClock();
    const s = start(clock, 2);
    await allUp(s, clock, 2);
    const errors = await uncaughtDuring(async () => {
      const [, victim] = pids(s);
      process.kill(victim ?? -1, 'SIGKILL');
      blockMs(300); // the worker is gone, but its disconnect and exit are not handled yet
      const stats = s.stats(); // writes to the dead worker's channel
      await new Promise((r) => setTimeout(r, 200)); // worker 0 answers; the dead one never will
      clock.advance(5000);
      expect((await stats).map((w) => w.index)).toEqual([0]);
    });
    expect(errors).toEqual([]);
  });

  it('a worker that cannot be spawned fails the cluster instead of crashing the primary', async () => {
    // A missing working directory makes the spawn itself fail: Node emits only 'error', never 'exit'.
    cluster.setupPrimary({ cwd: join(dir, 'missing') });
    try {
      const errors = await uncaughtDuring(async () => {
        const s = start(new ManualClock(), 1);
        const err: unknown = await s.wait().then(() => undefined, (e: unknown) => e);
        expect(hasCode(err, 'Internal')).toBe(true);
        expect(String(err)).toMatch(/worker 0 .*ENOENT.* before the controller listened/);
      });
      expect(errors).toEqual([]);
    } finally {
      cluster.setupPrimary({ cwd: process.cwd() });
    }
  });

  it('listening() rejects with Stopped when the cluster is stopped before any worker listened', async () => {
    const s = start(new ManualClock(), 1, { env: { FAKE_MODES: 'silent' } });
    s.kill();
    await s.wait();
    const err: unknown = await Promise.race([s.listening().then(() => 'resolved', (e: unknown) => e), new Promise((r) => setTimeout(() => r('still pending'), 1000))]);
    expect(hasCode(err, 'Stopped')).toBe(true);
  });

  it('/metrics does not wait for a worker still booting: only workers that listen are asked', async () => {
    const clock = new ManualClock();
    const s = start(clock, 2, { env: { FAKE_MODES: ',silent' } });
    await s.listening();
    expect(await s.metrics()).toMatch(/^fake_total 1$/m);
  });

  it('/metrics leaves out a worker that dies before it answers, and fails soon (TryAgain) for one that hangs', async () => {
    const clock = new ManualClock();
    const s = start(clock, 2, { env: { FAKE_MODES: ',mute' } });
    await allUp(s, clock, 2);
    const hung = s.metrics().then(() => undefined, (e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    clock.advance(3000);
    expect(hasCode(await hung, 'TryAgain')).toBe(true);
    const text = s.metrics();
    const [, mute] = pids(s);
    process.kill(mute ?? -1, 'SIGKILL');
    expect(await text).toMatch(/^fake_total 1$/m);
  });
});
