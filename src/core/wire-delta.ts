// The Juju wire form of a delta: [kind, "change"|"remove", entity] with kebab-case keys
// (spec/multiwatcher.md §6). The encoder accepts any kind; the decoder only kinds it knows.
import type { Delta } from './entity.js';
import { ModelwatchError } from './errors.js';

/** A delta on the wire. */
export type WireDelta = [kind: string, op: 'change' | 'remove', entity: Record<string, unknown>];

/** The Juju kinds and the wire field that carries each one's id. Other kinds use `id`. */
export const JUJU_KIND_ID_FIELDS: Readonly<Record<string, string>> = Object.freeze({
  action: 'id',
  annotation: 'tag',
  application: 'name',
  applicationOffer: 'offer-name',
  block: 'id',
  branch: 'id',
  charm: 'charm-url',
  machine: 'id',
  model: 'model-uuid',
  relation: 'key',
  remoteApplication: 'name',
  unit: 'name',
});

const MODEL_UUID_FIELD = 'model-uuid';

/** The wire field holding the id of `kind` (`id` for kinds outside the Juju table). */
export function idFieldOf(kind: string, extraKinds?: Readonly<Record<string, string>>): string {
  return extraKinds?.[kind] ?? JUJU_KIND_ID_FIELDS[kind] ?? 'id';
}

/**
 * Encodes a delta: entity = data + "model-uuid" + the kind's id field.
 * @throws ModelwatchError NotValid when data holds "model-uuid" or the id field, or a model's id
 *   differs from its modelUUID.
 */
export function toWireDelta(d: Delta): WireDelta {
  const { kind, modelUUID, id, data } = d.entity;
  const idField = idFieldOf(kind);
  if (Object.prototype.hasOwnProperty.call(data, MODEL_UUID_FIELD)) {
    throw new ModelwatchError('NotValid', `cannot encode ${kind} "${id}": data must not contain "${MODEL_UUID_FIELD}"`);
  }
  if (Object.prototype.hasOwnProperty.call(data, idField)) {
    throw new ModelwatchError('NotValid', `cannot encode ${kind} "${id}": data must not contain its id field "${idField}"`);
  }
  if (kind === 'model' && id !== modelUUID) {
    throw new ModelwatchError('NotValid', `cannot encode model "${id}": id must equal its model UUID "${modelUUID}"`);
  }
  const entity: Record<string, unknown> = { ...data, [MODEL_UUID_FIELD]: modelUUID, [idField]: id };
  return [kind, d.removed ? 'remove' : 'change', entity];
}

/** Options of the decoder: kinds the caller registers (kind → id field, `id` when unsure). */
export interface WireDecodeOptions {
  extraKinds?: Readonly<Record<string, string>>;
}

/**
 * Decodes a wire delta. Errors, checked in this order, with these exact texts:
 * `Expected 3 elements in top-level of JSON but got N`, `Unexpected operation "X"`,
 * `Unexpected entity name "X"` (code NotFound: the caller should skip that delta, not the batch).
 * @throws ModelwatchError (BadRequest, or NotFound for an unknown kind).
 */
export function fromWireDelta(json: unknown, opts?: WireDecodeOptions): Delta {
  if (!Array.isArray(json)) {
    throw new ModelwatchError('BadRequest', `Expected a JSON array for a delta but got ${describe(json)}`);
  }
  const arr: unknown[] = json;
  if (arr.length !== 3) {
    throw new ModelwatchError('BadRequest', `Expected 3 elements in top-level of JSON but got ${arr.length}`);
  }
  const [kind, op, entity] = arr;
  if (op !== 'change' && op !== 'remove') {
    throw new ModelwatchError('BadRequest', `Unexpected operation ${JSON.stringify(op)}`);
  }
  const idField = typeof kind === 'string' ? (opts?.extraKinds?.[kind] ?? JUJU_KIND_ID_FIELDS[kind]) : undefined;
  if (typeof kind !== 'string' || idField === undefined) {
    throw new ModelwatchError('NotFound', `Unexpected entity name ${JSON.stringify(kind)}`);
  }
  if (entity === null || typeof entity !== 'object' || Array.isArray(entity)) {
    throw new ModelwatchError('BadRequest', `Expected an object for the ${kind} entity but got ${describe(entity)}`);
  }
  const fields = entity as Record<string, unknown>;
  const modelUUID = fields[MODEL_UUID_FIELD];
  if (typeof modelUUID !== 'string') {
    throw new ModelwatchError('BadRequest', `${kind} entity: "${MODEL_UUID_FIELD}" must be a string`);
  }
  const id = fields[idField];
  if (typeof id !== 'string') {
    throw new ModelwatchError('BadRequest', `${kind} entity: id field "${idField}" must be a string`);
  }
  const data: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (k !== MODEL_UUID_FIELD && k !== idField) data[k] = v;
  }
  return { removed: op === 'remove', entity: { kind, modelUUID, id, data } };
}

/** True for the decoder's unknown-kind error, which clients skip (logging once per kind). */
export function isUnknownKindError(err: unknown): boolean {
  return err instanceof ModelwatchError && err.code === 'NotFound' && err.message.startsWith('Unexpected entity name ');
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}
