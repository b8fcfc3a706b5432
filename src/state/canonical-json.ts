// Canonical JSON text of entity data: object keys sorted (by UTF-16 code units) at every depth,
// undefined-valued keys dropped. Two data values are deep-equal (core's jsonEqual) iff their
// canonical texts are equal, so both backends detect a no-op update by comparing text, inside SQL on
// PostgreSQL. The text has the length of JSON.stringify's, so its size is the serialised size.
//
// The writer also checks what it walks (plain objects, arrays, finite numbers, strings, booleans,
// null) and answers undefined for anything else, so apply validates and serialises data in one pass;
// the caller then runs core's validateEntityInfo for the exact error. That check is the rule: this
// one only has to refuse everything it refuses (it also refuses nesting deeper than MAX_DEPTH, which
// is how a cycle ends here).

/** Deeper data is left to core's validation (which finds cycles) and the second pass below. */
const MAX_DEPTH = 128;
/** What JSON.stringify escapes in a string: quote, backslash, C0 controls, (lone) surrogates. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * Canonical text of `data` when it is a plain object of JSON data; undefined when it is not, or
 * nests deeper than MAX_DEPTH.
 */
export function checkedCanonicalJson(data: unknown): string | undefined {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  return writeValue(data, 0);
}

/** Canonical text of data that passed validateEntityInfo (any depth). */
export function canonicalJson(data: Record<string, unknown>): string {
  return checkedCanonicalJson(data) ?? deepCanonical(data);
}

function writeString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

function writeValue(v: unknown, depth: number): string | undefined {
  switch (typeof v) {
    case 'string':
      return writeString(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : undefined; // String(n) is JSON's form of a finite number
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (v === null) return 'null';
      if (depth >= MAX_DEPTH) return undefined;
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) {
          const x: unknown = v[i];
          const text = x === undefined ? 'null' : writeValue(x, depth + 1);
          if (text === undefined) return undefined;
          out += i === 0 ? text : `,${text}`;
        }
        return `${out}]`;
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return undefined;
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o).sort();
      let out = '{';
      for (const k of keys) {
        const x = o[k];
        if (x === undefined) continue;
        const text = writeValue(x, depth + 1);
        if (text === undefined) return undefined;
        out += `${out.length === 1 ? '' : ','}${writeString(k)}:${text}`;
      }
      return `${out}}`;
    }
    default:
      return undefined;
  }
}

/** The unbounded writer, for validated data nested deeper than MAX_DEPTH. */
function deepCanonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x: unknown) => (x === undefined ? 'null' : deepCanonical(x))).join(',')}]`;
  const o = v as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of Object.keys(o).sort()) if (o[k] !== undefined) parts.push(`${JSON.stringify(k)}:${deepCanonical(o[k])}`);
  return `{${parts.join(',')}}`;
}
