// Where the store's readers stand, per scope, so a resurrected entry's removed interval is kept
// exactly while some reader that can see the entry is positioned inside it (spec §3.2).

/** Scope key of controller (unscoped) readers. */
const CONTROLLER_SCOPE = '';

/** A multiset of reader positions per scope (model UUID, or the controller). Positions 0 are not kept. */
export class ReaderPositions {
  readonly #byScope = new Map<string, Map<number, number>>();

  /** A reader of the scope arrived at position r. */
  add(modelUUID: string | undefined, r: number): void {
    if (r <= 0) return; // nothing is held at 0, so position 0 never pins history
    const key = modelUUID ?? CONTROLLER_SCOPE;
    let counts = this.#byScope.get(key);
    if (counts === undefined) {
      counts = new Map();
      this.#byScope.set(key, counts);
    }
    counts.set(r, (counts.get(r) ?? 0) + 1);
  }

  /** A reader of the scope left position r; false (and nothing changes) for an unknown position. */
  delete(modelUUID: string | undefined, r: number): boolean {
    if (r <= 0) return true;
    const key = modelUUID ?? CONTROLLER_SCOPE;
    const counts = this.#byScope.get(key);
    const n = counts?.get(r);
    if (counts === undefined || n === undefined) return false;
    if (n > 1) counts.set(r, n - 1);
    else {
      counts.delete(r);
      if (counts.size === 0) this.#byScope.delete(key);
    }
    return true;
  }

  /** Readers that can see entities of the model (its own and controller ones) at positions ≥ from. */
  countFrom(modelUUID: string, from: number): number {
    return countFrom(this.#byScope.get(modelUUID), from) + countFrom(this.#byScope.get(CONTROLLER_SCOPE), from);
  }

  /** True when a reader that can see entities of the model stands in [from, to). */
  anyWithin(modelUUID: string, from: number, to: number): boolean {
    return within(this.#byScope.get(modelUUID), from, to) || within(this.#byScope.get(CONTROLLER_SCOPE), from, to);
  }
}

function within(counts: Map<number, number> | undefined, from: number, to: number): boolean {
  if (counts === undefined) return false;
  for (const r of counts.keys()) if (from <= r && r < to) return true;
  return false;
}

function countFrom(counts: Map<number, number> | undefined, from: number): number {
  if (counts === undefined) return 0;
  let n = 0;
  for (const [r, k] of counts) if (r >= from) n += k;
  return n;
}
