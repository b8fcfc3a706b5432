// Validation of entity identity and data at the edges (spec/state.md §7). Each check throws a
// NotValid error naming the field; nothing is written when one fails.
import type { EntityId, EntityInfo } from './entity.js';
import { ModelwatchError } from './errors.js';

const KIND_RE = /^[a-z][A-Za-z0-9-]{0,63}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// Control characters: C0, DEL and C1.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;
/** A lone (unpaired) surrogate: with the u flag a valid pair is one code point and never matches. */
const LONE_SURROGATE_RE = /\p{Cs}/u;

/** Longest entity id, in characters. */
export const MAX_ID_LENGTH = 255;
/** Largest entity data, in bytes of its JSON serialisation (1 MiB: keeps a batch within a frame). */
export const MAX_DATA_BYTES = 1024 * 1024;

function notValid(field: string, detail: string): ModelwatchError {
  return new ModelwatchError('NotValid', `${field} ${detail}`);
}

/** @throws ModelwatchError NotValid unless kind matches ^[a-z][A-Za-z0-9-]{0,63}$. */
export function validateKind(kind: unknown, field = 'kind'): asserts kind is string {
  if (typeof kind !== 'string' || !KIND_RE.test(kind)) {
    throw notValid(field, `${JSON.stringify(kind)} not valid: must match ^[a-z][A-Za-z0-9-]{0,63}$`);
  }
}

/** True for an RFC 4122 UUID in lower-case text form. */
export function isModelUUID(v: unknown): v is string {
  return typeof v === 'string' && UUID_RE.test(v);
}

/** @throws ModelwatchError NotValid unless v is a lower-case RFC 4122 UUID. */
export function validateModelUUID(v: unknown, field = 'modelUUID'): asserts v is string {
  if (!isModelUUID(v)) throw notValid(field, `${JSON.stringify(v)} not valid: must be a lower-case UUID`);
}

/** @throws ModelwatchError NotValid unless id is 1–255 characters without control characters. */
export function validateId(id: unknown, field = 'id'): asserts id is string {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw notValid(field, `not valid: must be a string of 1 to ${MAX_ID_LENGTH} characters`);
  }
  if (CONTROL_RE.test(id)) throw notValid(field, `${JSON.stringify(id)} not valid: must not contain control characters`);
  // A database stores text as UTF-8, which has no lone surrogate: SQLite would give the id back as
  // U+FFFD characters, so the id a list returned could not be used again.
  if (LONE_SURROGATE_RE.test(id)) throw notValid(field, `${JSON.stringify(id)} not valid: must be well-formed Unicode (no lone surrogates)`);
}

/** Validates an identity (kind, modelUUID, id; a model's id must be its UUID). */
export function validateEntityId(e: unknown, field = 'entity'): asserts e is EntityId {
  if (e === null || typeof e !== 'object') throw notValid(field, 'not valid: must be an object');
  const o = e as Record<string, unknown>;
  validateKind(o.kind, `${field}.kind`);
  validateModelUUID(o.modelUUID, `${field}.modelUUID`);
  validateId(o.id, `${field}.id`);
  if (o.kind === 'model' && o.id !== o.modelUUID) throw notValid(`${field}.id`, 'not valid: a model\'s id must equal its modelUUID');
}

/**
 * Validates a whole info: identity plus data, a plain JSON object (no functions, cycles or
 * non-finite numbers) of at most 1 MiB serialised. Returns the serialised data.
 */
export function validateEntityInfo(e: unknown, field = 'entity'): string {
  validateEntityId(e, field);
  const data = (e as unknown as Record<string, unknown>).data;
  if (!isPlainObject(data)) throw notValid(`${field}.data`, 'not valid: must be a plain JSON object');
  checkJsonValue(data, `${field}.data`, new Set());
  const json = JSON.stringify(data);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > MAX_DATA_BYTES) throw notValid(`${field}.data`, `not valid: ${bytes} bytes serialised (limit ${MAX_DATA_BYTES})`);
  return json;
}

/** Narrowing check used by validateEntityInfo's callers. */
export function isEntityInfo(e: unknown): e is EntityInfo {
  try {
    validateEntityInfo(e);
    return true;
  } catch {
    return false;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function checkJsonValue(v: unknown, path: string, seen: Set<object>): void {
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return;
    case 'number':
      if (!Number.isFinite(v)) throw notValid(path, 'not valid: numbers must be finite');
      return;
    case 'object': {
      if (v === null) return;
      if (seen.has(v)) throw notValid(path, 'not valid: contains a cycle');
      seen.add(v);
      if (Array.isArray(v)) {
        v.forEach((x: unknown, i) => checkJsonValue(x, `${path}[${i}]`, seen));
      } else if (isPlainObject(v)) {
        for (const [k, x] of Object.entries(v)) checkJsonValue(x, `${path}.${k}`, seen);
      } else {
        throw notValid(path, 'not valid: only plain objects, arrays and primitives are JSON');
      }
      seen.delete(v);
      return;
    }
    default:
      throw notValid(path, `not valid: a ${typeof v} is not JSON`);
  }
}
