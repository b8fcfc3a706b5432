// Canonical JSON text of entity data: object keys sorted at every depth, undefined-valued keys
// dropped. Two data values are deep-equal (core's jsonEqual) iff their canonical texts are equal, so
// both backends detect a no-op update by comparing text, inside SQL on PostgreSQL.

/** Serialises validated JSON data with sorted keys. */
export function canonicalJson(data: Record<string, unknown>): string {
  return JSON.stringify(data, sortKeys);
}

function sortKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o);
  if (isSorted(keys)) return o;
  const out: Record<string, unknown> = {};
  for (const k of keys.sort()) out[k] = o[k];
  return out;
}

function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if ((keys[i - 1] as string) > (keys[i] as string)) return false;
  return true;
}
