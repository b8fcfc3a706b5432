// Time as an injected dependency: library code asks a Clock, so tests can run time by hand.

/** A scheduled callback; cancel() is idempotent and safe after it fired. */
export interface TimerHandle {
  cancel(): void;
}

/** Source of time and timers for library code. */
export interface Clock {
  /** Current time, epoch milliseconds. */
  now(): number;
  /** Calls fn once after `ms` milliseconds (negative or NaN counts as 0). */
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

/** The real clock. Only entry points (the CLI, the server's main) construct one. */
export class SystemClock implements Clock {
  now(): number {
    // eslint-disable-next-line no-restricted-properties -- the one place real time enters the library
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    // eslint-disable-next-line no-restricted-globals -- the one place real timers enter the library
    const t = setTimeout(fn, Number.isFinite(ms) && ms > 0 ? ms : 0);
    // eslint-disable-next-line no-restricted-globals -- paired with the timer above
    return { cancel: () => clearTimeout(t) };
  }
}

/** Waits `ms` on the given clock; rejects with the signal's reason when it aborts first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      handle.cancel();
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
