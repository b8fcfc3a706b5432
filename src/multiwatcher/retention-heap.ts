// Tombstones kept only by the retention window (refCount 0), ordered by removal revno so the store
// can expire the oldest in O(log n). Stale items (resurrected, re-referenced) are skipped lazily.
import type { StoreEntry } from './store-entry.js';

interface Item {
  readonly entry: StoreEntry;
  readonly revno: number;
}

/** A binary min-heap on removal revno. */
export class RetentionHeap {
  readonly #items: Item[] = [];

  get size(): number {
    return this.#items.length;
  }

  push(entry: StoreEntry): void {
    const items = this.#items;
    items.push({ entry, revno: entry.revno });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent];
      const c = items[i];
      if (p === undefined || c === undefined || p.revno <= c.revno) break;
      items[parent] = c;
      items[i] = p;
      i = parent;
    }
  }

  /** Lowest removal revno queued, or undefined. */
  peekRevno(): number | undefined {
    return this.#items[0]?.revno;
  }

  /** Removes and returns the item with the lowest revno. */
  pop(): Item | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if ((items[l]?.revno ?? Infinity) < (items[min]?.revno ?? Infinity)) min = l;
      if ((items[r]?.revno ?? Infinity) < (items[min]?.revno ?? Infinity)) min = r;
      if (min === i) break;
      const a = items[i];
      const b = items[min];
      if (a === undefined || b === undefined) break;
      items[i] = b;
      items[min] = a;
      i = min;
    }
    return top;
  }
}
