// A compact, one-line diff of an entity's fields: nested objects flattened to dotted paths,
// `key=value` for a new field or a new entity, `key=old→new` for a change, `-key` for a removal.
import { jsonEqual } from '../../core/index.js';

/** Longest rendered value before it is cut with `…` (keeps a delta on one terminal line). */
const MAX_VALUE_CHARS = 48;
/** Nesting flattened into dotted paths; deeper values print as JSON. */
const MAX_DEPTH = 3;

/** Flattens data into `path → value` (objects to dotted paths, arrays kept whole). */
export function flatten(data: Readonly<Record<string, unknown>>, prefix = '', depth = 0, out = new Map<string, unknown>()): Map<string, unknown> {
  for (const key of Object.keys(data).sort()) {
    const v = data[key];
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && depth + 1 < MAX_DEPTH && Object.keys(v).length > 0) {
      flatten(v as Record<string, unknown>, path, depth + 1, out);
    } else out.set(path, v);
  }
  return out;
}

/** Renders one value compactly: bare strings when safe, JSON otherwise, cut at MAX_VALUE_CHARS. */
export function renderValue(v: unknown): string {
  const text = typeof v === 'string' && /^[^\s"=→]+$/.test(v) ? v : (JSON.stringify(v) as string | undefined) ?? 'undefined';
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

/** The diff from `before` (undefined for a new entity) to `after`. */
export function compactDiff(before: Readonly<Record<string, unknown>> | undefined, after: Readonly<Record<string, unknown>>): string {
  const next = flatten(after);
  if (before === undefined) return [...next].map(([k, v]) => `${k}=${renderValue(v)}`).join(' ');
  const prev = flatten(before);
  const parts: string[] = [];
  for (const [k, v] of next) {
    if (!prev.has(k)) parts.push(`+${k}=${renderValue(v)}`);
    else if (!jsonEqual(prev.get(k), v)) parts.push(`${k}=${renderValue(prev.get(k))}→${renderValue(v)}`);
  }
  for (const k of prev.keys()) if (!next.has(k)) parts.push(`-${k}`);
  return parts.join(' ');
}
