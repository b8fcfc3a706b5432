// Pruner (spec §4.4): bounds the storage of one model. Keeps the last slots of pings and, per key,
// its newest being plus every being still referenced by a remaining ping.
import type { Registry } from 'prom-client';
import { ModelwatchError, errorMessage } from '../core/index.js';
import type { Clock } from '../core/index.js';
import { MAX_SEQS_PER_QUERY, PRUNE_KEEP_SLOTS } from './limits.js';
import { PresenceMetrics } from './metrics.js';
import { decodeMask } from './sequence.js';
import { skewSlots, slotOf, validPeriod } from './slot.js';
import type { PresenceStore } from './store.js';
import { required, validateModel } from './validate.js';

/** Configuration of a Pruner; period in ms (whole seconds, default 30 000). */
export interface PrunerConfig {
  store: PresenceStore;
  modelUUID: string;
  period?: number;
  clock: Clock;
  /** Clock-skew tolerance of the model's watchers, ms: their extra slots are kept too. */
  skewTolerance?: number;
  registry?: Registry;
}

/** Prunes one model's pings and superseded beings. */
export class Pruner {
  readonly #store: PresenceStore;
  readonly #modelUUID: string;
  readonly #periodMs: number;
  readonly #clock: Clock;
  readonly #keepSlots: number;
  readonly #metrics: PresenceMetrics;
  #runs = 0;
  #pingsDeleted = 0;
  #beingsDeleted = 0;

  /** @throws NotValidError for a missing store or Clock, a bad model UUID or period. */
  constructor(cfg: PrunerConfig) {
    this.#store = required(cfg.store as PresenceStore | undefined, 'store');
    this.#clock = required(cfg.clock as Clock | undefined, 'Clock');
    validateModel(cfg.modelUUID);
    this.#modelUUID = cfg.modelUUID;
    this.#periodMs = validPeriod(cfg.period);
    this.#keepSlots = PRUNE_KEEP_SLOTS + skewSlots(cfg.skewTolerance, this.#periodMs);
    this.#metrics = new PresenceMetrics(cfg.registry);
  }

  /**
   * 1. Deletes pings older than the kept slots; 2. collects the seqs still referenced; 3. deletes
   * every being that is neither referenced nor its key's newest, ≤ 1000 a statement; 4. drops the
   * unreferenced seqs from `memCache` (a watcher's seq → key cache).
   * Differs from Juju: step 2 reads only this model's rows (Juju read every model's).
   * @throws ModelwatchError Internal wrapping the store error; what was deleted stays deleted.
   */
  async prune(memCache?: Map<number, string>): Promise<void> {
    try {
      const slot = slotOf(this.#clock.now(), this.#periodMs);
      const oldestKept = slot - (this.#keepSlots - 1) * (this.#periodMs / 1000);
      this.#pingsDeleted += await this.#store.deletePingsBefore(this.#modelUUID, oldestKept);
      const active = new Set<number>();
      for (const r of await this.#store.readPings(this.#modelUUID)) {
        for (const seq of decodeMask(r.fieldKey, r.alive | r.dead)) active.add(seq);
      }
      const newest = new Map<string, number>();
      const beings = await this.#store.beingsOf(this.#modelUUID);
      for (const b of beings) newest.set(b.key, Math.max(b.seq, newest.get(b.key) ?? 0));
      const doomed = beings.filter((b) => newest.get(b.key) !== b.seq && !active.has(b.seq)).map((b) => b.seq);
      for (let i = 0; i < doomed.length; i += MAX_SEQS_PER_QUERY) {
        this.#beingsDeleted += await this.#store.deleteBeings(this.#modelUUID, doomed.slice(i, i + MAX_SEQS_PER_QUERY));
      }
      if (memCache !== undefined) for (const seq of memCache.keys()) if (!active.has(seq)) memCache.delete(seq);
      this.#runs++;
      this.#metrics.pruneRuns.inc({ result: 'ok' });
    } catch (err) {
      this.#metrics.pruneRuns.inc({ result: 'error' });
      throw new ModelwatchError('Internal', `cannot prune presence of model "${this.#modelUUID}": ${errorMessage(err)}`, { cause: err });
    }
  }

  /** Runs and totals deleted so far. */
  report(): Record<string, unknown> {
    return { 'model-uuid': this.#modelUUID, 'prune-runs': this.#runs, 'pings-deleted': this.#pingsDeleted, 'beings-deleted': this.#beingsDeleted };
  }
}
