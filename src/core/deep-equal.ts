// Deep equality and copying of JSON values, as the store and followers define "equal":
// object key order ignored, array order significant, a key whose value is undefined counts as absent.

/** True when a and b are equal JSON values (key order ignored; undefined-valued keys ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') {
    // NaN never appears in valid JSON data; treat it like any other non-identical number.
    return false;
  }
  const aIsArray = Array.isArray(a);
  if (aIsArray !== Array.isArray(b)) return false;
  if (aIsArray) {
    const bArr = b as unknown[];
    if (a.length !== bArr.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], bArr[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let aCount = 0;
  for (const k in ao) {
    if (!Object.prototype.hasOwnProperty.call(ao, k) || ao[k] === undefined) continue;
    aCount++;
    if (!Object.prototype.hasOwnProperty.call(bo, k) || !jsonEqual(ao[k], bo[k])) return false;
  }
  let bCount = 0;
  for (const k in bo) {
    if (Object.prototype.hasOwnProperty.call(bo, k) && bo[k] !== undefined) bCount++;
  }
  return aCount === bCount;
}

/** Deep copy of a JSON value; undefined-valued keys are dropped (they count as absent). */
export function jsonClone<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x: unknown) => jsonClone(x)) as T;
  const out: Record<string, unknown> = {};
  for (const k in v) {
    if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) out[k] = jsonClone(x);
  }
  return out as T;
}
