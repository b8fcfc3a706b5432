// How store positions map to the revisions handed to consumers (spec §4.7). With a database backing
// (getAll resolves with a revision) a revision is a database revision: the batch holds every change
// up to it. Without one, it is the store revno tagged with an epoch unique to the store instance.

/** Revisions of a store without database revisions: epoch × 2^33 + revno (safe integers up to 2^53). */
const EPOCH_FACTOR = 2 ** 33;
/** Epochs are in [1, 2^20), so tokens stay below 2^53. */
export const EPOCH_LIMIT = 2 ** 20;

/** Which revisions this generation hands out. */
export type RevisionMode = 'database' | 'store';

/**
 * Per-generation map between store revnos and consumer revisions. In database mode it keeps a
 * checkpoint (database revision, store revno) for every commit boundary the store passed, so a
 * revision names exactly one store position; the oldest are dropped past `maxCheckpoints` or below
 * the store's floor, and resuming from them yields a reset.
 */
export class RevisionMap {
  readonly #epoch: number;
  readonly #maxCheckpoints: number;
  #mode: RevisionMode = 'store';
  /** Highest database revision every change up to which has been applied (database mode). */
  #complete = 0;
  /** Highest database revision any arrived change carried. */
  #maxArrived = 0;
  /** Checkpoints, ascending in both fields; the live part starts at #start. */
  #dbRevs: number[] = [];
  #storeRevnos: number[] = [];
  #start = 0;

  constructor(epoch: number, maxCheckpoints: number) {
    this.#epoch = epoch;
    this.#maxCheckpoints = maxCheckpoints;
  }

  get mode(): RevisionMode {
    return this.#mode;
  }

  /** A change arrived from the backing (before or after the snapshot). */
  arrived(rev: number | undefined): void {
    if (rev !== undefined && rev > this.#maxArrived) this.#maxArrived = rev;
  }

  /** getAll finished with the given result; the store is at storeRevno. */
  loaded(snapshotRev: number | void, storeRevno: number): void {
    if (typeof snapshotRev !== 'number') return;
    this.#mode = 'database';
    this.#complete = snapshotRev;
    this.#maxArrived = Math.max(this.#maxArrived, snapshotRev);
    this.#push(snapshotRev, storeRevno, 0);
  }

  /**
   * A change was processed; `headFirstRev` is the first-arrival revision of the next queued change
   * (undefined: queue empty, or a change without revision). Returns true at a commit boundary, where
   * watchers may be answered: every change of the commits up to `current()` is applied, none half-way.
   */
  processed(queueEmpty: boolean, headFirstRev: number | undefined, storeRevno: number, floor: number): boolean {
    if (this.#mode === 'store') return true;
    const before = this.#complete;
    const bound = queueEmpty ? this.#maxArrived : headFirstRev === undefined ? before : headFirstRev - 1;
    this.#complete = Math.max(before, bound);
    if (this.#complete > before) {
      this.#push(this.#complete, storeRevno, floor);
      return true;
    }
    // RISK: a database backing that sends changes without `rev` makes the store move without the
    // revision moving; a resume from that revision then repeats deltas. Backings must set `rev`.
    return queueEmpty;
  }

  /** Revision of the store's current state, as handed to consumers. */
  current(storeRevno: number): number {
    return this.#mode === 'database' ? this.#complete : this.#epoch * EPOCH_FACTOR + storeRevno;
  }

  /**
   * Store position equivalent to a consumer revision, or undefined when this store cannot resume from
   * it (older than what it retains, from another store instance, or in the future).
   */
  resolve(since: number, storeLatest: number, floor: number): number | undefined {
    if (since === 0) return 0; // revision 0 is the empty state in both modes: nothing is held
    if (this.#mode === 'store') {
      const epoch = Math.floor(since / EPOCH_FACTOR);
      const revno = since - epoch * EPOCH_FACTOR;
      return epoch === this.#epoch && revno >= floor && revno <= storeLatest ? revno : undefined;
    }
    const i = this.#find(since);
    if (i === undefined) return undefined;
    const revno = this.#storeRevnos[i];
    return revno !== undefined && revno >= floor && revno <= storeLatest ? revno : undefined;
  }

  #push(dbRev: number, storeRevno: number, floor: number): void {
    this.#dbRevs.push(dbRev);
    this.#storeRevnos.push(storeRevno);
    while (this.#dbRevs.length - this.#start > this.#maxCheckpoints || (this.#storeRevnos[this.#start] ?? Infinity) < floor) {
      this.#start++;
    }
    if (this.#start > 1024 && this.#start * 2 > this.#dbRevs.length) {
      this.#dbRevs = this.#dbRevs.slice(this.#start);
      this.#storeRevnos = this.#storeRevnos.slice(this.#start);
      this.#start = 0;
    }
  }

  /** Index of the checkpoint with exactly this database revision (binary search). */
  #find(dbRev: number): number | undefined {
    let lo = this.#start;
    let hi = this.#dbRevs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.#dbRevs[mid];
      if (v === undefined) return undefined;
      if (v === dbRev) return mid;
      if (v < dbRev) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }
}
