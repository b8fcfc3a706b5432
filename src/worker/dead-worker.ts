// A worker that is already dead: for factories that must return a Worker but failed to start one.
import type { Worker } from '../core/index.js';

/** A worker already dead of `err`: kill() does nothing, wait() rejects with err. */
export function deadWorker(err: Error): Worker {
  const dead = Promise.reject(err);
  dead.catch(() => undefined);
  return { kill: () => undefined, wait: () => dead };
}
