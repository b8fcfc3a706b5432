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

  /** A reader of the scope left position r (unknown positions are ignored). */
  delete(modelUUID: string | undefined, r: number): void {
    if (r <= 0) return;
    const key = modelUUID ?? CONTROLLER_SCOPE;
    const counts = this.#byScope.get(key);
    const n = counts?.get(r);
    if (counts === undefined || n === undefined) return;
    if (n > 1) counts.set(r, n - 1);
    else {
      counts.delete(r);
      if (counts.size === 0) this.#byScope.delete(key);
    }
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
