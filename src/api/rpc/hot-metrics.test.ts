import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HotCounter, HotHistogram } from './hot-metrics.js';

describe('hot metrics', () => {
  it('a counter cell counts in place and the registry exposes it with its labels', async () => {
    const registry = new Registry();
    const c = new HotCounter({ name: 'x_total', help: 'xs', labelNames: ['facade', 'outcome'] as const, registry });
    const ok = c.cell('Pinger', 'ok');
    ok.inc();
    ok.inc();
    c.cell('Pinger', 'ok').inc(); // the same cell, resolved again
    c.cell('Admin', 'bad request').inc();
    const text = await registry.metrics();
    expect(text).toContain('# TYPE x_total counter');
    expect(text).toContain('x_total{facade="Pinger",outcome="ok"} 3');
    expect(text).toContain('x_total{facade="Admin",outcome="bad request"} 1');
    registry.resetMetrics();
    expect(await registry.metrics()).toContain('x_total{facade="Pinger",outcome="ok"} 0');
  });

  it('a histogram puts each value in the first bucket at or above it, cumulatively, with sum and count', async () => {
    const registry = new Registry();
    const h = new HotHistogram({ name: 'd_seconds', help: 'ds', labelNames: ['m'] as const, buckets: [0.1, 0.01, 1], registry });
    const cell = h.cell('Next');
    for (const v of [0.005, 0.01, 0.05, 2, Number.NaN]) cell.observe(v);
    const text = await registry.metrics();
    expect(text).toContain('d_seconds_bucket{m="Next",le="0.01"} 2');
    expect(text).toContain('d_seconds_bucket{m="Next",le="0.1"} 3');
    expect(text).toContain('d_seconds_bucket{m="Next",le="1"} 3');
    expect(text).toContain('d_seconds_bucket{m="Next",le="+Inf"} 4');
    expect(text).toContain('d_seconds_count{m="Next"} 4');
    expect(text).toMatch(/d_seconds_sum\{m="Next"\} 2\.065/);
  });

  it('a second metric of the same name in one registry is refused', () => {
    const registry = new Registry();
    new HotCounter({ name: 'y_total', help: 'y', labelNames: [] as const, registry });
    expect(() => new HotCounter({ name: 'y_total', help: 'y', labelNames: [] as const, registry })).toThrow(/already been registered/);
  });
});
