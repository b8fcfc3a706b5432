// Input checks shared by the presence components: keys, model UUIDs and required config fields.
// Each throws a NotValid error and changes nothing.
import { NotValidError, validateModelUUID } from '../core/index.js';
import { MAX_KEY_LENGTH } from './limits.js';

/** @throws NotValidError for a key that is not a string of 1 to 255 characters. */
export function validateKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new NotValidError(`key not valid: must be a string of 1 to ${MAX_KEY_LENGTH} characters`);
  }
}

/** @throws ModelwatchError NotValid unless the model UUID is a lower-case UUID. */
export function validateModel(modelUUID: unknown): asserts modelUUID is string {
  validateModelUUID(modelUUID, 'modelUUID');
}

/** @throws NotValidError `missing <name> not valid` when a required config field is absent. */
export function required<T>(value: T | undefined | null, name: string): T {
  if (value === undefined || value === null) throw new NotValidError(`missing ${name} not valid`);
  return value;
}

/** Renders an input value for an error message without trusting it. */
export function show(v: unknown): string {
  return typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || typeof v === 'string' ? String(v) : typeof v;
}

/** @throws NotValidError unless `ms` is a finite number > 0 (undefined gives the default). */
export function positiveMs(ms: unknown, name: string, fallback: number): number {
  if (ms === undefined) return fallback;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
    throw new NotValidError(`${name} ${show(ms)} not valid: must be a positive number of ms`);
  }
  return ms;
}
