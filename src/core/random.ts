// Seedable randomness for jitter, so back-off and flush timing are reproducible in tests.

/** Returns a float in [0, 1). */
export type Random = () => number;

/** Math.random, for production entry points. */
export const systemRandom: Random = () => Math.random();

/** A deterministic generator (mulberry32) from a 32-bit seed. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
