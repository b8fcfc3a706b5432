// The multiwatcher's cheap summary, read through a real prom-client Registry: quantiles of the latest
// 4,096 observations, sum and count of all of them, the exposition type 'summary'.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { sampleOf } from '../testing/index.js';
import { RecentSummary } from './recent-summary.js';


describe('RecentSummary', () => {
  it('exposes quantiles, sum and count as a summary', async () => {
    const registry = new Registry();
    const s = new RecentSummary({ name: 'x_ms', help: 'Time of x in ms.', percentiles: [0.5, 0.9, 0.99] });
    registry.registerMetric(s.metric);
    for (let i = 1; i <= 100; i++) s.observe(101 - i); // order must not matter
    const text = await registry.metrics();
    expect(text).toContain('# TYPE x_ms summary');
    expect(sampleOf(text, 'x_ms{quantile="0.5"}')).toBe(50);
    expect(sampleOf(text, 'x_ms{quantile="0.9"}')).toBe(90);
    expect(sampleOf(text, 'x_ms{quantile="0.99"}')).toBe(99);
    expect(sampleOf(text, 'x_ms_sum')).toBe(5050);
    expect(sampleOf(text, 'x_ms_count')).toBe(100);
  });

  it('quantiles follow the latest 4,096 observations; sum and count keep every one', async () => {
    const registry = new Registry();
    const s = new RecentSummary({ name: 'y_ms', help: 'y', percentiles: [0.5] });
    registry.registerMetric(s.metric);
    for (let i = 0; i < 1000; i++) s.observe(1);
    for (let i = 0; i < 4096; i++) s.observe(7);
    const text = await registry.metrics();
    expect(sampleOf(text, 'y_ms{quantile="0.5"}')).toBe(7);
    expect(sampleOf(text, 'y_ms_count')).toBe(5096);
    expect(sampleOf(text, 'y_ms_sum')).toBe(1000 + 7 * 4096);
    s.reset();
    const empty = await registry.metrics();
    expect(sampleOf(empty, 'y_ms_count')).toBe(0);
    expect(sampleOf(empty, 'y_ms{quantile="0.5"}')).toBe(0);
  });
});
