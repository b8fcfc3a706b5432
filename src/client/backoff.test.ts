import { describe, expect, it } from 'vitest';
import { seededRandom } from '../core/index.js';
import { backoffDelayMs } from './backoff.js';

const limits = { initialDelayMs: 100, maxDelayMs: 10_000, factor: 2 };

describe('backoffDelayMs', () => {
  it('doubles per attempt within [base/2, base) and stops growing at the ceiling', () => {
    const low = () => 0;
    const high = () => 0.999999;
    expect([1, 2, 3, 4].map((a) => backoffDelayMs(a, low, limits))).toEqual([50, 100, 200, 400]);
    expect([1, 2, 3, 4].map((a) => backoffDelayMs(a, high, limits))).toEqual([99, 199, 399, 799]);
    expect(backoffDelayMs(30, high, limits)).toBeLessThan(10_000);
    expect(backoffDelayMs(30, low, limits)).toBe(5_000);
  });

  it('a fleet of clients does not retry in lock-step (jitter spreads the delays)', () => {
    const delays = new Set(Array.from({ length: 50 }, (_, i) => backoffDelayMs(5, seededRandom(i), limits)));
    expect(delays.size).toBeGreaterThan(40);
  });

  it('is reproducible from a seed', () => {
    expect(backoffDelayMs(3, seededRandom(42), limits)).toBe(backoffDelayMs(3, seededRandom(42), limits));
  });
});
