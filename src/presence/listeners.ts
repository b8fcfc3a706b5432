// Listener registrations of a PresenceWatcher and the asynchronous delivery of their events
// (spec §4.3 Delivery): FIFO per watcher, never inside watch(), throws caught and logged.
import type { Deferred } from '../core/index.js';
import type { Change } from './store.js';

type Listener = (c: Change) => void;

/** One registration of (key, listener); queued events carry it, so a re-watch never gets stale ones. */
interface Registration {
  readonly key: string;
  readonly listener: Listener;
}

interface QueuedEvent {
  readonly reg: Registration;
  readonly change: Change;
}

/** Registrations by key plus the delivery queue; the queue holds at most one read's events. */
export class Listeners {
  readonly #registrations = new Map<string, Map<Listener, Registration>>();
  #queue: QueuedEvent[] = [];
  #drainScheduled = false;
  /** Released by the next drain, after every event queued before it was delivered. */
  #afterDrain: Deferred<void>[] = [];
  #open = true;
  readonly #onError: (key: string, err: unknown) => void;

  constructor(onError: (key: string, err: unknown) => void) {
    this.#onError = onError;
  }

  /** Registers the pair; false when it was registered already (or delivery is closed). */
  add(key: string, listener: Listener): boolean {
    if (!this.#open) return false;
    let regs = this.#registrations.get(key);
    if (regs === undefined) this.#registrations.set(key, (regs = new Map<Listener, Registration>()));
    if (regs.has(listener)) return false;
    regs.set(listener, { key, listener });
    return true;
  }

  /** Removes the pair and drops its undelivered events; unknown pairs are a no-op. */
  remove(key: string, listener: Listener): void {
    const regs = this.#registrations.get(key);
    const reg = regs?.get(listener);
    if (regs === undefined || reg === undefined) return;
    regs.delete(listener);
    if (regs.size === 0) this.#registrations.delete(key);
    this.#queue = this.#queue.filter((e) => e.reg !== reg);
  }

  /** Queues `change` for one pair. */
  enqueueOne(key: string, listener: Listener, change: Change): void {
    const reg = this.#registrations.get(key)?.get(listener);
    if (reg !== undefined) this.#push(reg, change);
  }

  /** Queues `change` for every listener of its key. */
  enqueueKey(change: Change): void {
    for (const reg of this.#registrations.get(change.key)?.values() ?? []) this.#push(reg, change);
  }

  /** Queues, for every registered pair, the change `initial(key)` gives. */
  enqueueAll(initial: (key: string) => Change): void {
    for (const [key, regs] of this.#registrations) {
      const change = initial(key);
      for (const reg of regs.values()) this.#push(reg, change);
    }
  }

  /** Resolves `w` once every event queued so far has been delivered. */
  releaseAfterDelivery(waiters: readonly Deferred<void>[]): void {
    this.#afterDrain.push(...waiters);
    this.#schedule();
  }

  /** Stops delivery for good: drops the queue and every registration; releases waiters. */
  close(): void {
    this.#open = false;
    this.#queue = [];
    this.#registrations.clear();
    for (const w of this.#afterDrain) w.resolve();
    this.#afterDrain = [];
  }

  get keys(): number {
    return this.#registrations.size;
  }

  get size(): number {
    let n = 0;
    for (const regs of this.#registrations.values()) n += regs.size;
    return n;
  }

  get queued(): number {
    return this.#queue.length;
  }

  #push(reg: Registration, change: Change): void {
    this.#queue.push({ reg, change: { key: change.key, alive: change.alive } });
    this.#schedule();
  }

  #schedule(): void {
    if (this.#drainScheduled) return;
    this.#drainScheduled = true;
    queueMicrotask(() => this.#drain());
  }

  /** Delivers the queue in order (return values are never awaited), then releases the waiters. */
  #drain(): void {
    this.#drainScheduled = false;
    const queue = this.#queue;
    const waiters = this.#afterDrain;
    this.#queue = [];
    this.#afterDrain = [];
    for (const e of queue) {
      if (this.#registrations.get(e.reg.key)?.get(e.reg.listener) !== e.reg) continue; // unwatched since, or closed
      try {
        const r: unknown = e.reg.listener(e.change);
        if (r instanceof Promise) r.catch((err: unknown) => this.#onError(e.change.key, err));
      } catch (err) {
        this.#onError(e.change.key, err);
      }
    }
    for (const w of waiters) w.resolve();
  }
}
