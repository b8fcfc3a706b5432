// The Worker contract: anything long-running that can be asked to stop and waited for.

/** A long-running component (Juju's worker.Worker). */
export interface Worker {
  /** Asks the worker to stop; returns at once; idempotent. */
  kill(): void;
  /** Resolves when the worker stopped cleanly; rejects with the error it died of. */
  wait(): Promise<void>;
}

/** A worker that can describe its state (kebab-case keys, plain data). */
export interface Reporter {
  report(): Record<string, unknown>;
}

/** True when the value has a `report()` method. */
export function isReporter(w: unknown): w is Reporter {
  return typeof w === 'object' && w !== null && typeof (w as { report?: unknown }).report === 'function';
}
