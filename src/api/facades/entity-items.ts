// Parsing the items of Entities calls (spec/protocol.md §6.2): wire entities decoded as the
// multiwatcher encodes them, validated as the state store validates them, and confined to the
// connection's model. The first bad item fails the whole call: `invalid request: entities[<i>]: …`.
import { ModelwatchError, errorMessage, fromWireDelta, idFieldOf, validateEntityId, validateEntityInfo, validateKind } from '../../core/index.js';
import type { EntityId, EntityInfo } from '../../core/index.js';
import { rpcErrors } from '../rpc/rpc-error.js';
import { asObject, getKey } from './params.js';

/** Items per Update/Remove/Get call (one transaction; the frame limit bounds the bytes anyway). */
export const MAX_ENTITY_ITEMS = 10_000;

function itemError(i: number, detail: string): Error {
  return rpcErrors.invalidRequest(`entities[${i}]: ${detail}`);
}

/** Runs a validation step, turning its NotValid/BadRequest error into the item's invalid-request error. */
function checked<T>(i: number, step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (err instanceof ModelwatchError) throw itemError(i, err.message);
    throw itemError(i, errorMessage(err));
  }
}

function sameModel(i: number, modelUUID: string, connectionModel: string): void {
  if (modelUUID !== connectionModel) {
    throw itemError(i, `model-uuid ${JSON.stringify(modelUUID)} is not the model of this connection`);
  }
}

/** An Update item `{"kind": K, "entity": <wire entity>}` → a validated EntityInfo of the model. */
export function parseUpdateItem(item: unknown, i: number, connectionModel: string): EntityInfo {
  const o = asObject(item);
  if (o === undefined) throw itemError(i, 'must be an object');
  const kind = getKey(o, 'kind');
  checked(i, () => validateKind(kind));
  const entity = asObject(getKey(o, 'entity'));
  if (entity === undefined) throw itemError(i, 'entity must be an object');
  const info = checked(i, () => fromWireDelta([kind, 'change', entity], { extraKinds: { [kind as string]: idFieldOf(kind as string) } }).entity);
  checked(i, () => validateEntityInfo(info));
  sameModel(i, info.modelUUID, connectionModel);
  return info;
}

/** A Remove/Get item `{"kind", "model-uuid", "id"}` → a validated EntityId of the model. */
export function parseIdItem(item: unknown, i: number, connectionModel: string): EntityId {
  const o = asObject(item);
  if (o === undefined) throw itemError(i, 'must be an object');
  const id = { kind: getKey(o, 'kind'), modelUUID: getKey(o, 'model-uuid'), id: getKey(o, 'id') };
  checked(i, () => validateEntityId(id));
  const valid = id as EntityId;
  sameModel(i, valid.modelUUID, connectionModel);
  return { kind: valid.kind, modelUUID: valid.modelUUID, id: valid.id };
}

/** List's `after` cursor `{"kind", "id"}`, or undefined. */
export function parseAfter(v: unknown): { kind: string; id: string } | undefined {
  if (v === undefined || v === null) return undefined;
  const o = asObject(v);
  const kind = o === undefined ? undefined : getKey(o, 'kind');
  const id = o === undefined ? undefined : getKey(o, 'id');
  if (typeof kind !== 'string' || typeof id !== 'string') throw rpcErrors.invalidRequest('after must be an object with string kind and id');
  return { kind, id };
}
