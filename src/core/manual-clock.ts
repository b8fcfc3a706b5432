// A clock moved by hand, for deterministic tests of timing: timers fire in time order (ties in
// creation order), synchronously inside advance(); advance() from a timer callback is safe.
import type { Clock, TimerHandle } from './clock.js';
import { ModelwatchError } from './errors.js';

interface PendingTimer {
  readonly due: number;
  readonly order: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** A Clock whose time moves only when `advance` or `set` is called. */
export class ManualClock implements Clock {
  #now: number;
  #nextOrder = 0;
  /** Pending timers; kept sorted by (due, order) so firing order is deterministic. */
  #timers: PendingTimer[] = [];
  /** Target of the outermost advance in progress; nested advances only raise it. */
  #advancingTo: number | undefined;

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer: PendingTimer = { due: this.#now + delay, order: this.#nextOrder++, fn, cancelled: false };
    insertSorted(this.#timers, timer);
    return {
      cancel: () => {
        if (timer.cancelled) return;
        timer.cancelled = true;
        const i = this.#timers.indexOf(timer);
        if (i >= 0) this.#timers.splice(i, 1);
      },
    };
  }

  /**
   * Moves time forward by `ms`, firing every timer due up to the new time in (due, creation) order;
   * each fires with `now()` equal to its due time. Called from inside a timer callback, it extends
   * the outer advance instead of recursing.
   * @throws ModelwatchError NotValid for a negative or non-finite ms.
   */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new ModelwatchError('NotValid', `cannot advance a ManualClock by ${ms} ms`);
    const target = (this.#advancingTo ?? this.#now) + ms;
    if (this.#advancingTo !== undefined) {
      this.#advancingTo = Math.max(this.#advancingTo, target);
      return;
    }
    this.#advancingTo = target;
    try {
      for (;;) {
        const head = this.#timers[0];
        if (head === undefined || head.due > this.#advancingTo) break;
        this.#timers.shift();
        this.#now = Math.max(this.#now, head.due);
        head.cancelled = true;
        head.fn();
      }
      this.#now = Math.max(this.#now, this.#advancingTo);
    } finally {
      this.#advancingTo = undefined;
    }
  }

  /** Moves time to an absolute epoch-ms value (not backwards), firing due timers. */
  set(epochMs: number): void {
    this.advance(Math.max(0, epochMs - this.#now));
  }

  /** Number of pending timers (for tests that check nothing is left armed). */
  pendingTimers(): number {
    return this.#timers.length;
  }

  /** Due time of the earliest pending timer, or undefined. */
  nextDue(): number | undefined {
    return this.#timers[0]?.due;
  }

  /**
   * Advances to each next due timer in turn, letting promises settle between steps, until no timer is
   * due within `ms`. For async code that arms timers from promise continuations.
   */
  async advanceAsync(ms: number, settle: () => Promise<void> = flushMicrotasks): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      const due = this.nextDue();
      if (due === undefined || due > target) break;
      this.advance(due - this.#now);
      await settle();
    }
    this.advance(target - this.#now);
    await settle();
  }
}

/** Lets pending promise reactions and I/O callbacks run (a macrotask turn). */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function insertSorted(timers: PendingTimer[], t: PendingTimer): void {
  // Binary search for the first timer that sorts after t: O(log n) search, O(n) splice.
  let lo = 0;
  let hi = timers.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = timers[mid];
    if (m !== undefined && (m.due < t.due || (m.due === t.due && m.order < t.order))) lo = mid + 1;
    else hi = mid;
  }
  timers.splice(lo, 0, t);
}
