import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_MASK, decodeMask, decodeMasks, fieldBit, fieldKey, isFieldBit, isFieldKey } from './sequence.js';

describe('sequence encoding', () => {
  it('matches the spec examples', () => {
    expect([fieldKey(1), fieldBit(1)]).toEqual(['0', 2n]);
    expect([fieldKey(62), fieldBit(62)]).toEqual(['0', 2n ** 62n]);
    expect([fieldKey(63), fieldBit(63)]).toEqual(['1', 1n]);
    expect([fieldKey(1000), fieldBit(1000)]).toEqual(['f', 2n ** 55n]);
    expect([fieldKey(1008), fieldBit(1008)]).toEqual(['10', 1n]);
  });

  it('never sets bit 63, so masks fit a signed 64-bit column', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 40 }), (seq) => fieldBit(seq) <= MAX_MASK / 2n + 1n && isFieldBit(fieldBit(seq))));
    expect(MAX_MASK).toBe(2n ** 63n - 1n);
  });

  it('decodes every seq of ORed masks exactly, bit 62 included (2^62 is not exact as a number)', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 5000 }), { maxLength: 300 }), (seqs) => {
      const masks = new Map<string, bigint>();
      for (const s of seqs) masks.set(fieldKey(s), (masks.get(fieldKey(s)) ?? 0n) | fieldBit(s));
      expect(decodeMasks(masks).sort((a, b) => a - b)).toEqual([...seqs].sort((a, b) => a - b));
    }));
    expect(decodeMask('0', MAX_MASK)).toEqual(Array.from({ length: 63 }, (_, i) => i));
    expect(decodeMask('1', 2n ** 62n)).toEqual([125]);
    expect(decodeMask('ff', 0n)).toEqual([]);
  });

  it('recognises field keys and bits as pingers write them, and nothing else', () => {
    for (const k of ['0', 'f', '10', 'abc']) expect(isFieldKey(k)).toBe(true);
    for (const k of ['', '00', '0f', 'F', 'g', '-1', 1]) expect(isFieldKey(k)).toBe(false);
    for (const b of [0n, 3n, 2n ** 63n, -2n, 4]) expect(isFieldBit(b)).toBe(false);
  });
});
