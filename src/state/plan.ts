// A transaction's net effect, computed before any database work: ops are validated (nothing is
// written when one fails) and folded in order into sets, removes and model cascades that are
// pairwise disjoint, so each backend can write them in one pass without re-reading its own writes.
import { MAX_DATA_BYTES, ModelwatchError, entityKey, validateEntityId, validateEntityInfo } from '../core/index.js';
import type { EntityId } from '../core/index.js';
import { canonicalJson, checkedCanonicalJson } from './canonical-json.js';

/** An entity to write; `data` is canonical JSON, so text equality is deep equality. */
export interface PlannedSet extends EntityId {
  data: string;
}

/** The disjoint net effect of a list of ops; every list sorted by (modelUUID, kind, id). */
export interface WritePlan {
  readonly sets: readonly PlannedSet[];
  /** Entities to delete; none is in `sets` or in a cascaded model. */
  readonly removes: readonly EntityId[];
  /** Models whose every entity not in `sets` is deleted (the model entity included). */
  readonly cascades: readonly string[];
}

type NetEffect = { set: PlannedSet } | { remove: EntityId };

/**
 * Validates `ops` and folds them in order: later ops on an entity win, and removing a model removes
 * every entity of it named earlier or stored, but not those updated after the removal.
 * @throws ModelwatchError NotValid naming the offending field (e.g. `ops[2].entity.kind`).
 */
export function planOps(ops: unknown): WritePlan {
  if (!Array.isArray(ops)) throw new ModelwatchError('NotValid', 'ops not valid: must be an array');
  const net = new Map<string, NetEffect>();
  const cascades = new Set<string>();
  ops.forEach((op: unknown, i) => {
    const field = `ops[${i}]`;
    if (op === null || typeof op !== 'object') throw new ModelwatchError('NotValid', `${field} not valid: must be an object`);
    const o = op as Record<string, unknown>;
    if (o.op === 'update') {
      validateEntityId(o.entity, `${field}.entity`);
      const e = o.entity as { kind: string; modelUUID: string; id: string; data: unknown };
      const set: PlannedSet = { kind: e.kind, modelUUID: e.modelUUID, id: e.id, data: dataText(e, `${field}.entity`) };
      net.set(entityKey(set), { set });
    } else if (o.op === 'remove') {
      validateEntityId(o.id, `${field}.id`);
      const id: EntityId = { kind: o.id.kind, modelUUID: o.id.modelUUID, id: o.id.id };
      if (id.kind === 'model') {
        cascades.add(id.modelUUID);
        for (const [key, effect] of net) {
          const target = 'set' in effect ? effect.set : effect.remove;
          if (target.modelUUID === id.modelUUID) net.delete(key);
        }
      } else if (cascades.has(id.modelUUID)) {
        net.delete(entityKey(id)); // the cascade already removes it if it is stored
      } else {
        net.set(entityKey(id), { remove: id });
      }
    } else {
      throw new ModelwatchError('NotValid', `${field}.op ${JSON.stringify(o.op)} not valid: must be "update" or "remove"`);
    }
  });
  const sets: PlannedSet[] = [];
  const removes: EntityId[] = [];
  for (const effect of net.values()) {
    if ('set' in effect) sets.push(effect.set);
    else removes.push(effect.remove);
  }
  // One lock order for every writer: fewer deadlocks between concurrent PostgreSQL transactions.
  sets.sort(compareStored);
  removes.sort(compareStored);
  return { sets, removes, cascades: [...cascades].sort() };
}

/**
 * The canonical text of an entity's data, validated in the same pass; core's validateEntityInfo
 * names the error whenever that pass refuses (or the text is over the size limit).
 */
function dataText(entity: { data?: unknown }, field: string): string {
  const text = checkedCanonicalJson(entity.data);
  // A UTF-16 code unit is at most 3 bytes of UTF-8: most texts need no byte count.
  if (text !== undefined && (text.length * 3 <= MAX_DATA_BYTES || Buffer.byteLength(text, 'utf8') <= MAX_DATA_BYTES)) return text;
  validateEntityInfo(entity, field);
  return canonicalJson(entity.data as Record<string, unknown>);
}

/** True when the plan can change nothing. */
export function isEmptyPlan(plan: WritePlan): boolean {
  return plan.sets.length === 0 && plan.removes.length === 0 && plan.cascades.length === 0;
}

/** Order of the entities primary key: (modelUUID, kind, id). */
export function compareStored(a: EntityId, b: EntityId): number {
  if (a.modelUUID !== b.modelUUID) return a.modelUUID < b.modelUUID ? -1 : 1;
  if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return 0;
}
