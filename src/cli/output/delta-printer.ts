// Renders a watch stream: one line per delta (time, kind, op, id, compact diff against the last
// state seen) or NDJSON. Keeps the last state of each entity; a reset batch prints removals for
// entities that vanished from the snapshot (the follower's re-list rule).
import { entityKey } from '../../core/index.js';
import type { Delta, EntityInfo } from '../../core/index.js';
import type { DeltaBatch } from '../../client/index.js';
import { compactDiff } from './compact-diff.js';

/** Options of the printer. */
export interface DeltaPrinterOptions {
  json: boolean;
  /** Show the model column (controller-wide watching). */
  showModel: boolean;
  /** Only these kinds (empty: all). */
  kinds: readonly string[];
}

/** See the file comment. */
export class DeltaPrinter {
  readonly #opts: DeltaPrinterOptions;
  /** entityKey → last info printed; only entities of the shown kinds. */
  readonly #known = new Map<string, EntityInfo>();

  constructor(opts: DeltaPrinterOptions) {
    this.#opts = opts;
  }

  /** The lines (each ending in `\n`) for one batch, received at `timeMs` (epoch ms). */
  lines(batch: DeltaBatch, timeMs: number): string[] {
    const time = new Date(timeMs).toISOString();
    let deltas = batch.deltas.filter((d) => this.#shows(d.entity.kind));
    if (batch.reset) deltas = [...deltas, ...this.#vanished(deltas)];
    const out: string[] = [];
    for (const d of deltas) {
      const key = entityKey(d.entity);
      const before = this.#known.get(key);
      if (d.removed) this.#known.delete(key);
      else this.#known.set(key, d.entity);
      // A snapshot entity unchanged since we last printed it is not news.
      if (!d.removed && before !== undefined && compactDiff(before.data, d.entity.data) === '') continue;
      out.push(this.#opts.json ? this.#json(time, batch, d) : this.#text(time, d, before));
    }
    return out;
  }

  #shows(kind: string): boolean {
    return this.#opts.kinds.length === 0 || this.#opts.kinds.includes(kind);
  }

  #vanished(snapshot: readonly Delta[]): Delta[] {
    const present = new Set(snapshot.map((d) => entityKey(d.entity)));
    return [...this.#known.entries()].filter(([k]) => !present.has(k)).map(([, entity]) => ({ removed: true, entity }));
  }

  #text(time: string, d: Delta, before: EntityInfo | undefined): string {
    const { kind, modelUUID, id, data } = d.entity;
    const op = d.removed ? 'remove' : 'change';
    const diff = d.removed ? '' : compactDiff(before?.data, data);
    const model = this.#opts.showModel ? `${modelUUID.slice(0, 8)}  ` : '';
    return `${time.slice(11, 23)}  ${model}${kind.padEnd(12)} ${op.padEnd(6)}  ${id}${diff === '' ? '' : `  ${diff}`}\n`;
  }

  #json(time: string, batch: DeltaBatch, d: Delta): string {
    const { kind, modelUUID, id, data } = d.entity;
    return `${JSON.stringify({ time, revision: batch.revision, ...(batch.reset ? { reset: true } : {}), model: modelUUID, kind, op: d.removed ? 'remove' : 'change', id, data })}\n`;
  }
}
