// Sequence encoding (spec §3.2): a seq is bit (seq % 63) of the 63-bit mask under field key
// hex(floor(seq / 63)). Masks are bigint end to end; they fit a signed 64-bit column.

/** Bits used per mask: 63, so every mask lies in [0, 2^63 − 1] (bit 63 never set). */
export const BITS_PER_FIELD = 63;

/** Lowercase hex of floor(seq / 63), no leading zeros: seq 1 → "0", 63 → "1", 1008 → "10". */
export function fieldKey(seq: number): string {
  return Math.floor(seq / BITS_PER_FIELD).toString(16);
}

/** `1n << BigInt(seq % 63)`: seq 1 → 2n, 62 → 2n ** 62n, 63 → 1n. */
export function fieldBit(seq: number): bigint {
  return 1n << BigInt(seq % BITS_PER_FIELD);
}

/** The largest mask a row may hold: 2^63 − 1. */
export const MAX_MASK = (1n << 63n) - 1n;

/**
 * The seqs a mask of field key `key` stands for, ascending: bit i of field k is 63·k + i.
 * Splits the mask into 32-bit halves so the bit walk runs on numbers, not bigints.
 */
export function decodeMask(key: string, mask: bigint, into: number[] = []): number[] {
  if (mask === 0n) return into;
  const base = BITS_PER_FIELD * parseInt(key, 16);
  pushBits(Number(mask & 0xffff_ffffn), base, into);
  pushBits(Number((mask >> 32n) & 0xffff_ffffn), base + 32, into);
  return into;
}

function pushBits(word: number, base: number, into: number[]): void {
  let w = word >>> 0;
  while (w !== 0) {
    const low = w & -w; // lowest set bit
    into.push(base + 31 - Math.clz32(low));
    w = (w ^ low) >>> 0;
  }
}

/** Every seq in a map of field key → mask (ORed masks of a window), ascending within each key. */
export function decodeMasks(masks: ReadonlyMap<string, bigint>): number[] {
  const out: number[] = [];
  for (const [key, mask] of masks) decodeMask(key, mask, out);
  return out;
}

/** True when `key` is a field key as fieldKey() writes it (lowercase hex, no leading zeros). */
export function isFieldKey(key: unknown): key is string {
  return typeof key === 'string' && /^(0|[1-9a-f][0-9a-f]{0,12})$/.test(key);
}

/** True when `bit` is a single bit a pinger sets: 2^i for i in [0, 62]. */
export function isFieldBit(bit: unknown): bit is bigint {
  return typeof bit === 'bigint' && bit > 0n && bit <= 1n << 62n && (bit & (bit - 1n)) === 0n;
}
