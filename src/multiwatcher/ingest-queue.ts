// The ingest queue (spec §5.3): a FIFO keyed by identity, O(1) append, pop and de-duplication, so
// whoever emits backing changes never waits on processing and the queue holds one entry per entity.
import type { BackingChange, Clock } from '../core/index.js';
import { entityKey } from '../core/index.js';

/** A queued change. */
export interface QueuedChange {
  /** Identity key (entityKey). */
  readonly key: string;
  /** The latest change for the identity (a duplicate replaces it). */
  change: BackingChange;
  /** clock.now() of the first arrival; kept by de-duplication. */
  readonly arrivedMs: number;
  /** Database revision of the first arrival, when the backing has revisions (bounds what is complete). */
  readonly firstRev: number | undefined;
}

/** Observers of the queue, fed to metrics. */
export interface IngestQueueObserver {
  appended(ms: number): void;
  duplicated(): void;
}

interface Node {
  readonly item: QueuedChange;
  next: Node | undefined;
}

/**
 * FIFO of changes keyed by identity: a singly linked list for order plus a Map for de-duplication
 * (a Map alone used as a queue leaves deleted slots to skip at its front until it rehashes).
 */
export class IngestQueue {
  readonly #clock: Clock;
  readonly #observer: IngestQueueObserver;
  readonly #byKey = new Map<string, QueuedChange>();
  #head: Node | undefined;
  #tail: Node | undefined;

  constructor(clock: Clock, observer: IngestQueueObserver) {
    this.#clock = clock;
    this.#observer = observer;
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** Appends a change; a change for an identity already queued replaces it in place. */
  append(change: BackingChange): void {
    const start = this.#clock.now();
    const key = entityKey(change);
    const queued = this.#byKey.get(key);
    if (queued !== undefined) {
      queued.change = change;
      this.#observer.duplicated();
    } else {
      const item: QueuedChange = { key, change, arrivedMs: start, firstRev: change.rev };
      this.#byKey.set(key, item);
      const node: Node = { item, next: undefined };
      if (this.#tail === undefined) this.#head = node;
      else this.#tail.next = node;
      this.#tail = node;
    }
    this.#observer.appended(this.#clock.now() - start);
  }

  /** The oldest queued change, without removing it. */
  peek(): QueuedChange | undefined {
    return this.#head?.item;
  }

  /** Removes and returns the oldest queued change. */
  shift(): QueuedChange | undefined {
    const head = this.#head;
    if (head === undefined) return undefined;
    this.#head = head.next;
    if (this.#head === undefined) this.#tail = undefined;
    this.#byKey.delete(head.item.key);
    return head.item;
  }

  /** Seconds since the oldest queued change arrived; 0 when empty. */
  ageSeconds(): number {
    const head = this.peek();
    return head === undefined ? 0 : Math.max(0, this.#clock.now() - head.arrivedMs) / 1000;
  }
}
