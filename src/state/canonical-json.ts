// Canonical JSON text of entity data: object keys sorted (by UTF-16 code units) at every depth,
// undefined-valued keys dropped. Two data values are deep-equal (core's jsonEqual) iff their
// canonical texts are equal, so both backends detect a no-op update by comparing text, inside SQL on
// PostgreSQL. Input is validated JSON data (validateEntityInfo ran first): plain objects, arrays,
// finite numbers, strings, booleans, null.

/** Serialises validated JSON data with sorted keys, in one pass. */
export function canonicalJson(data: Record<string, unknown>): string {
  return writeValue(data);
}

function writeValue(v: unknown): string {
  switch (typeof v) {
    case 'string':
    case 'number':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (v === null) return 'null';
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) {
          const x: unknown = v[i];
          out += (i === 0 ? '' : ',') + (x === undefined ? 'null' : writeValue(x));
        }
        return `${out}]`;
      }
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o).sort();
      let out = '{';
      let first = true;
      for (const k of keys) {
        const x = o[k];
        if (x === undefined) continue;
        out += `${first ? '' : ','}${JSON.stringify(k)}:${writeValue(x)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      return 'null'; // unreachable for validated data (functions and symbols are rejected)
  }
}
