// Shared setup of this module's worker tests (not exported): workers on a ManualClock that are killed
// after each test, and a probe of whether a promise is still pending.
import { afterEach } from 'vitest';
import { ManualClock, flushMicrotasks, nullLogger } from '../../core/index.js';
import type { MultiwatcherConfig } from '../config.js';
import type { MemoryBacking } from '../testing/index.js';
import { MultiwatcherWorker } from '../worker.js';

/** A starter of workers over a backing (clock at 1,000, null logger, `defaults`, then `extra`). */
export type StartWorker = (backing: MemoryBacking, extra?: Partial<MultiwatcherConfig>) => MultiwatcherWorker;

/** Returns a starter; every worker it started is killed (and waited for) after each test of the file. */
export function workerStarter(defaults: Partial<MultiwatcherConfig> = {}): StartWorker {
  const workers: MultiwatcherWorker[] = [];
  afterEach(async () => {
    for (const w of workers.splice(0)) {
      w.kill();
      await w.wait().catch(() => undefined);
    }
  });
  return (backing, extra = {}) => {
    const w = new MultiwatcherWorker({ clock: new ManualClock(1_000), logger: nullLogger, backing, ...defaults, ...extra });
    workers.push(w);
    return w;
  };
}

/** Resolves to 'pending' when p has not settled after a macrotask turn (the worker's answers are out by then). */
export async function state<T>(p: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([p, flushMicrotasks().then(() => 'pending' as const)]);
}
