// Lets a worker process everything queued: macrotask turns until its queue is empty, then a few more
// so answers and their promise reactions run. Tests use it instead of sleeping.
import { flushMicrotasks } from '../../core/index.js';
import type { Reporter } from '../../core/index.js';

/** Waits (in event-loop turns, never in time) until the worker's queue is empty and answers are out. */
export async function settle(worker: Reporter, maxTurns = 10_000): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    await flushMicrotasks();
    if (worker.report()['queue-size'] === 0) break;
  }
  for (let i = 0; i < 3; i++) await flushMicrotasks();
}
