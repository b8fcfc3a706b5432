// Wraps a PresenceStore so a ManualClock run can wait for its real I/O: every call that returns a
// promise is counted while in flight, and `settle()` returns once none is (and none started since).
// With it, SQLite and PostgreSQL runs are as deterministic on a ManualClock as the memory store.
import type { PresenceStore } from '../store.js';

/** See the file comment. `minWaitMs` adds a real pause per settle (for notifications from outside). */
export function trackInflight(inner: PresenceStore, minWaitMs = 0): { store: PresenceStore; settle: () => Promise<void> } {
  let inflight = 0;
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]): unknown => {
        const r: unknown = (v as (...a: unknown[]) => unknown).apply(target, args);
        if (!(r instanceof Promise)) return r;
        inflight++;
        return r.finally(() => inflight--);
      };
    },
  });
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  // eslint-disable-next-line no-restricted-globals -- waits for real I/O (a test helper), not library time
  const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  const settle = async (): Promise<void> => {
    if (minWaitMs > 0) await pause(minWaitMs);
    for (;;) {
      await turn();
      if (inflight > 0) {
        await pause(1);
        continue;
      }
      await turn(); // a continuation may start another call right after the last one settled
      if (inflight === 0) return;
    }
  };
  return { store, settle };
}
