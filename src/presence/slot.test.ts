import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasCode } from '../core/index.js';
import { pingIntervalMs, skewSlots, slotOf, validPeriod, windowSlots } from './slot.js';

describe('slots', () => {
  it('slot(t) is the Unix second starting the P-long interval holding t', () => {
    expect(slotOf(0, 30_000)).toBe(0);
    expect(slotOf(29_999, 30_000)).toBe(0);
    expect(slotOf(30_000, 30_000)).toBe(30);
    expect(slotOf(1_800_000_012_345, 30_000)).toBe(1_800_000_000);
    expect(slotOf(5_500, 1_000)).toBe(5);
  });

  it('the ping interval is floor(0.75·(P+1)) s and never exceeds P, so every slot gets a ping', () => {
    expect(pingIntervalMs(30_000)).toBe(23_000);
    expect(pingIntervalMs(1_000)).toBe(1_000);
    expect(pingIntervalMs(2_000)).toBe(2_000);
    fc.assert(fc.property(fc.integer({ min: 1, max: 86_400 }), (s) => pingIntervalMs(s * 1000) <= s * 1000));
  });

  it('rejects a period that is not whole seconds of at least 1000 ms', () => {
    expect(validPeriod(undefined)).toBe(30_000);
    expect(validPeriod(1_000)).toBe(1_000);
    for (const bad of [1_500, 999, 0, -1_000, Number.NaN, Infinity, '30000', null]) {
      expect(() => validPeriod(bad)).toThrow(/^period .* not valid: must be a whole number of seconds, at least 1000 ms$/);
      try {
        validPeriod(bad);
      } catch (err) {
        expect(hasCode(err, 'NotValid')).toBe(true);
      }
    }
  });

  it('the window is S and S − P, plus one older slot per started period of tolerated skew', () => {
    expect(windowSlots(90, 30_000, 0)).toEqual([90, 60]);
    expect(windowSlots(90, 30_000, 1)).toEqual([90, 60, 30]);
    expect(skewSlots(undefined, 30_000)).toBe(0);
    expect(skewSlots(0, 30_000)).toBe(0);
    expect(skewSlots(1, 30_000)).toBe(1);
    expect(skewSlots(30_001, 30_000)).toBe(2);
    expect(() => skewSlots(-1, 30_000)).toThrow(/skewTolerance -1 not valid/);
  });
});
