import { describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock.js';
import { ShortLivedCache } from './short-lived-cache.js';

function setup() {
  const clock = new ManualClock(0);
  let lookups = 0;
  const cache = new ShortLivedCache<string>({ clock, ttlMs: 100, maxEntries: 3, keep: (v) => v !== 'no' });
  const look = (v: string | Error) => () => {
    lookups++;
    return v instanceof Error ? Promise.reject(v) : Promise.resolve(v);
  };
  return { clock, cache, look, lookups: () => lookups };
}

describe('ShortLivedCache', () => {
  it('shares a lookup in flight, answers a kept one synchronously once settled, and asks again after ttlMs', async () => {
    const { clock, cache, look, lookups } = setup();
    const first = cache.get('k', 0, look('yes'));
    expect(cache.get('k', 0, look('other'))).toBe(first); // in flight: shared
    expect(await first).toBe('yes');
    expect(cache.get('k', 0, look('other'))).toBe('yes'); // settled: the value itself
    clock.advance(100);
    expect(await cache.get('k', 0, look('later'))).toBe('later');
    expect(lookups()).toBe(2);
  });

  it('a new epoch drops every answer at once', async () => {
    const { cache, look } = setup();
    await cache.get('k', 0, look('yes'));
    expect(await cache.get('k', 1, look('after'))).toBe('after');
  });

  it('answers not kept and failed lookups are asked again', async () => {
    const { cache, look, lookups } = setup();
    expect(await cache.get('k', 0, look('no'))).toBe('no');
    await expect(cache.get('j', 0, look(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('k', 0, look('yes'))).toBe('yes');
    expect(await cache.get('j', 0, look('up'))).toBe('up');
    expect(lookups()).toBe(4);
  });

  it('holds at most maxEntries, dropping the oldest', async () => {
    const { cache, look } = setup();
    for (const k of ['a', 'b', 'c', 'd']) await cache.get(k, 0, look(k));
    expect(cache.size).toBe(3);
    expect(await cache.get('a', 0, look('a again'))).toBe('a again'); // 'a' went first
  });
});
