// IN-lists of prepared SQLite statements, padded to the next power of two by repeating the last
// value (harmless in an IN list): a statement per size class, so a cache of them stays small.

/** The next power of two at or above n (1 for n <= 1). */
export function paddedSize(n: number): number {
  let size = 1;
  while (size < n) size *= 2;
  return size;
}

/** The values padded to paddedSize by repeating the last one; callers pass at least one value. */
export function padded<T>(values: readonly T[]): T[] {
  const out = [...values];
  const last = values[values.length - 1];
  if (last === undefined) return out;
  while (out.length < paddedSize(values.length)) out.push(last);
  return out;
}
