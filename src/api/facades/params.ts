// Reading params (spec/protocol.md §2.1): keys match ASCII case-insensitively at every depth, as
// Juju's Go decoder does; a bad value is `invalid request: <detail>`.
import { getKey } from '../rpc/envelope.js';
import { rpcErrors } from '../rpc/rpc-error.js';

export { getKey };

/** A plain JSON object, or undefined. */
export function asObject(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** `since-revision`: undefined when absent or null; else a non-negative integer. */
export function sinceRevisionParam(params: Record<string, unknown>): number | undefined {
  const v = getKey(params, 'since-revision');
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw rpcErrors.invalidRequest('since-revision must be a non-negative integer');
  }
  return v;
}

/** A required array param of at most `max` items. */
export function arrayParam(params: Record<string, unknown>, key: string, min: number, max: number): unknown[] {
  const v = getKey(params, key);
  if (!Array.isArray(v)) throw rpcErrors.invalidRequest(`${key} must be an array`);
  if (v.length < min || v.length > max) throw rpcErrors.invalidRequest(`${key} must hold ${min} to ${max} items (got ${v.length})`);
  return v as unknown[];
}

/** The `id` of a watcher call: top level (jujulib) or, failing that, in params (some clients). */
export function watcherIdOf(reqId: string, params: Record<string, unknown>): string {
  if (reqId !== '') return reqId;
  const v = getKey(params, 'id');
  return typeof v === 'string' ? v : '';
}
