// Where the benchmark's controller runs: in this process (Controller.start, as before), or as the
// cluster of `serve --workers N`, with this process as its primary (the same ClusterSupervisor that
// `serve` uses, the workers running src/cli/main.ts serve). Memory and CPU are summed over every
// controller process; the event-loop delay is the worst worker's.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { ClusterSupervisor } from '../../cluster/index.js';
import { SystemClock } from '../../core/index.js';
import type { Logger } from '../../core/index.js';
import { Controller, prepareDatabase } from '../index.js';
import { settledMemory } from './setup.js';
import { r2 } from './stats.js';

export interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
}

/** A running controller under benchmark. */
export interface ControllerHost {
  readonly workers: number;
  listening(): Promise<string>;
  /** RSS and heap after full GCs, summed over the controller's processes. */
  memory(): Promise<Memory>;
  /** CPU (user + system) of every controller process so far, ms. */
  cpuMs(): Promise<number>;
  resetEventLoop(): Promise<void>;
  /** Event-loop delay since the reset, ms (the worst process). */
  eventLoopDelay(): Promise<{ p50: number; p99: number; max: number }>;
  stop(): Promise<void>;
}

const ms = (ns: number): number => r2(ns / 1e6);
const ownCpuMs = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

/** The controller in this process. */
export function inProcessHost(db: string, adminPassword: string, logger: Logger): ControllerHost {
  const eld = monitorEventLoopDelay({ resolution: 5 });
  eld.enable();
  const controller = Controller.start({ db, host: '127.0.0.1', port: 0, clock: new SystemClock(), logger, registry: new Registry(), adminPassword });
  return {
    workers: 1,
    listening: () => controller.listening(),
    memory: () => settledMemory(),
    cpuMs: () => Promise.resolve(ownCpuMs()),
    resetEventLoop: () => Promise.resolve(eld.reset()),
    eventLoopDelay: () => Promise.resolve({ p50: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), max: ms(eld.max) }),
    async stop() {
      controller.kill();
      await Promise.race([controller.wait().catch(() => undefined), new Promise((r) => setTimeout(r, 30_000))]);
    },
  };
}

/** `serve --workers N` with this process as the primary. */
export async function clusterHost(db: string, adminPassword: string, workers: number, logger: Logger): Promise<ControllerHost> {
  const clock = new SystemClock();
  await prepareDatabase({ db, adminPassword, clock, logger });
  const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
  const supervisor = ClusterSupervisor.start({
    workers, exec: main, args: ['serve', '--db', db, '--listen', '127.0.0.1:0', '--workers', String(workers), '--log-level', 'warn'],
    execArgv: ['--expose-gc', ...(process.env.BENCH_WORKER_PROF === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_WORKER_PROF}`]), '--import', 'tsx'], env: { MODELWATCH_ADMIN_PASSWORD: adminPassword }, clock, logger, registry: new Registry(),
  });
  const all = async (settle: boolean, resetEventLoop = false) => {
    const stats = await supervisor.stats({ settle, resetEventLoop });
    if (stats.length !== workers) throw new Error(`only ${stats.length} of ${workers} workers answered`);
    return stats;
  };
  return {
    workers,
    listening: () => supervisor.listening(),
    async memory() {
      const own = await settledMemory();
      const stats = await all(true);
      return { rss: own.rss + stats.reduce((a, s) => a + s.rssBytes, 0), heapUsed: own.heapUsed + stats.reduce((a, s) => a + s.heapUsedBytes, 0), external: own.external };
    },
    async cpuMs() {
      return ownCpuMs() + (await all(false)).reduce((a, s) => a + s.cpuUs / 1000, 0);
    },
    async resetEventLoop() {
      await all(false, true);
    },
    async eventLoopDelay() {
      const stats = await all(false);
      const worst = (k: 'p50' | 'p99' | 'max') => Math.max(...stats.map((s) => s.eventLoopDelayMs[k]));
      return { p50: worst('p50'), p99: worst('p99'), max: worst('max') };
    },
    async stop() {
      supervisor.kill();
      await Promise.race([supervisor.wait().catch(() => undefined), new Promise((r) => setTimeout(r, 30_000))]);
    },
  };
}
