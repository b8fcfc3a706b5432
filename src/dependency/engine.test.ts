import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ManualClock, MemoryLogger, deferred, flushMicrotasks } from '../core/index.js';
import type { Deferred, Worker } from '../core/index.js';
import { Engine } from './engine.js';
import { ErrBounce, ErrMissing, ErrUninstall } from './manifold.js';
import type { Manifold, ManifoldContext } from './manifold.js';

/** A worker the test stops or fails by hand. */
class TestWorker implements Worker {
  readonly #done: Deferred<void> = deferred<void>();
  killed = false;
  constructor(readonly label: string) {}
  kill(): void {
    this.killed = true;
    this.#done.resolve();
  }
  wait(): Promise<void> {
    return this.#done.promise;
  }
  fail(err: Error): void {
    this.#done.reject(err);
  }
  report(): Record<string, unknown> {
    return { label: this.label };
  }
}

/** A manifold that records its starts and hands out TestWorkers. */
function testManifold(inputs: string[] = [], opts: Partial<Manifold> & { onStart?: (ctx: ManifoldContext) => void } = {}) {
  const workers: TestWorker[] = [];
  const manifold: Manifold = {
    inputs,
    start: async (ctx) => {
      opts.onStart?.(ctx);
      for (const i of inputs) ctx.getResource(i);
      const w = new TestWorker(`w${workers.length}`);
      workers.push(w);
      return w;
    },
    ...(opts.output ? { output: opts.output } : {}),
    ...(opts.filter ? { filter: opts.filter } : {}),
  };
  return { manifold, workers, latest: () => workers[workers.length - 1] };
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await flushMicrotasks();
};

function newEngine(clock = new ManualClock(), extra: Partial<ConstructorParameters<typeof Engine>[0]> = {}) {
  return new Engine({ clock, logger: new MemoryLogger(), errorDelayMs: 1000, bounceDelayMs: 10, maxDelayMs: 8000, ...extra });
}

/** Per-manifold entries of engine.report(). */
function manifoldReports(engine: Engine): Record<string, Record<string, unknown>> {
  return engine.report().manifolds as Record<string, Record<string, unknown>>;
}

describe('Engine', () => {
  it('validates its config with the exact messages', () => {
    expect(() => new Engine({ logger: new MemoryLogger() } as never)).toThrow('missing Clock not valid');
    expect(() => new Engine({ clock: new ManualClock() } as never)).toThrow('missing Logger not valid');
    expect(() => newEngine(new ManualClock(), { errorDelayMs: -1 })).toThrow(/errorDelayMs/);
  });

  it('starts a manifold only once all its inputs are running, in dependency order', async () => {
    const engine = newEngine();
    const order: string[] = [];
    const c = testManifold(['a', 'b'], { onStart: () => order.push('c') });
    const a = testManifold([], { onStart: () => order.push('a') });
    const b = testManifold(['a'], { onStart: () => order.push('b') });
    engine.install('c', c.manifold);
    engine.install('b', b.manifold);
    await settle();
    expect(order).toEqual([]);
    engine.install('a', a.manifold);
    await settle();
    expect(order).toEqual(['a', 'b', 'c']);
    engine.kill();
    await engine.wait();
  });

  it('passes the input output() to dependents through getResource', async () => {
    const engine = newEngine();
    const a = testManifold([], { output: () => ({ greeting: 'hello' }) });
    let got: unknown;
    const b = testManifold(['a'], { onStart: (ctx) => (got = ctx.getResource('a')) });
    engine.install('a', a.manifold);
    engine.install('b', b.manifold);
    await settle();
    expect(got).toEqual({ greeting: 'hello' });
    engine.kill();
    await engine.wait();
  });

  it('getResource of an undeclared input fails the start', async () => {
    const engine = newEngine();
    const bad = testManifold([], { onStart: (ctx) => ctx.getResource('other') });
    engine.install('bad', bad.manifold);
    await settle();
    expect(manifoldReports(engine).bad?.['last-error']).toMatch(/not declared/);
    engine.kill();
    await engine.wait();
  });

  it('restarts a failed worker with exponential back-off, capped', async () => {
    const clock = new ManualClock();
    const engine = newEngine(clock);
    const a = testManifold();
    engine.install('a', a.manifold);
    await settle();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const before = a.workers.length;
      a.latest()!.fail(new Error(`boom ${i}`));
      await settle();
      let waited = 0;
      while (a.workers.length === before) {
        clock.advance(100);
        waited += 100;
        await settle();
      }
      delays.push(waited);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    const rep = manifoldReports(engine);
    expect(rep.a).toMatchObject({ state: 'started', 'start-count': 7, 'last-error': 'boom 5' });
    engine.kill();
    await engine.wait();
  });

  it('a long healthy run resets the back-off', async () => {
    const clock = new ManualClock();
    const engine = newEngine(clock);
    const a = testManifold();
    engine.install('a', a.manifold);
    await settle();
    a.latest()!.fail(new Error('x'));
    await clock.advanceAsync(1000);
    a.latest()!.fail(new Error('y'));
    await clock.advanceAsync(2000);
    expect(a.workers).toHaveLength(3);
    await clock.advanceAsync(10_000); // ran longer than the cap
    a.latest()!.fail(new Error('z'));
    await clock.advanceAsync(999);
    expect(a.workers).toHaveLength(3);
    await clock.advanceAsync(1);
    expect(a.workers).toHaveLength(4);
    engine.kill();
    await engine.wait();
  });

  it('bounces dependents when an input restarts', async () => {
    const clock = new ManualClock();
    const engine = newEngine(clock);
    const a = testManifold();
    const b = testManifold(['a']);
    const c = testManifold(['b']);
    engine.install('a', a.manifold);
    engine.install('b', b.manifold);
    engine.install('c', c.manifold);
    await settle();
    expect([a.workers.length, b.workers.length, c.workers.length]).toEqual([1, 1, 1]);
    a.latest()!.fail(new Error('input failed'));
    await settle();
    expect(b.workers[0]!.killed).toBe(true);
    expect(c.workers[0]!.killed).toBe(true);
    await clock.advanceAsync(1000);
    await clock.advanceAsync(100);
    expect([a.workers.length, b.workers.length, c.workers.length]).toEqual([2, 2, 2]);
    const rep = manifoldReports(engine);
    expect(rep.b?.['last-error']).toBeUndefined(); // a bounce is not a failure
    engine.kill();
    await engine.wait();
  });

  it('ErrMissing from start waits for inputs to change instead of retrying on a timer', async () => {
    const clock = new ManualClock();
    const engine = newEngine(clock);
    let attempts = 0;
    let ready = false;
    const flaky: Manifold = {
      inputs: ['a'],
      start: async () => {
        attempts++;
        if (!ready) throw ErrMissing;
        return new TestWorker('ok');
      },
    };
    const a = testManifold();
    engine.install('a', a.manifold);
    engine.install('flaky', flaky);
    await settle();
    expect(attempts).toBe(1);
    await clock.advanceAsync(60_000);
    expect(attempts).toBe(1);
    ready = true;
    a.latest()!.kill(); // input changes: stops cleanly and restarts after errorDelay
    await clock.advanceAsync(1100);
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(manifoldReports(engine).flaky?.state).toBe('started');
    engine.kill();
    await engine.wait();
  });

  it('ErrUninstall removes the manifold for good; ErrBounce restarts it at once', async () => {
    const clock = new ManualClock();
    const engine = newEngine(clock);
    const u = testManifold();
    const b = testManifold();
    engine.install('u', u.manifold);
    engine.install('b', b.manifold);
    await settle();
    u.latest()!.fail(ErrUninstall);
    b.latest()!.fail(new Error('wrapped', { cause: ErrBounce }));
    await settle();
    await clock.advanceAsync(10);
    expect(b.workers).toHaveLength(2);
    expect(Object.keys(manifoldReports(engine))).toEqual(['b']);
    await clock.advanceAsync(60_000);
    expect(u.workers).toHaveLength(1);
    engine.kill();
    await engine.wait();
  });

  it('filter maps worker errors (here: to a clean stop, restarted without back-off growth)', async () => {
    const clock = new ManualClock();
    const engine = newEngine(clock);
    const a = testManifold([], { filter: (err) => (err.message === 'benign' ? undefined : err) });
    engine.install('a', a.manifold);
    await settle();
    a.latest()!.fail(new Error('benign'));
    await clock.advanceAsync(1000);
    expect(a.workers).toHaveLength(2);
    expect(manifoldReports(engine).a?.['last-error']).toBeUndefined();
    engine.kill();
    await engine.wait();
  });

  it('a fatal error kills the engine and wait rejects with it', async () => {
    const engine = newEngine(new ManualClock(), { isFatal: (e) => e.message === 'fatal' });
    const a = testManifold();
    const b = testManifold();
    engine.install('a', a.manifold);
    engine.install('b', b.manifold);
    await settle();
    a.latest()!.fail(new Error('fatal'));
    await expect(engine.wait()).rejects.toThrow('fatal');
    expect(b.workers[0]!.killed).toBe(true);
  });

  it('kill while a manifold is starting stops the worker it later returns', async () => {
    const engine = newEngine();
    const gate = deferred<void>();
    const w = new TestWorker('slow');
    let signal: AbortSignal | undefined;
    engine.install('slow', {
      inputs: [],
      start: async (ctx) => {
        signal = ctx.signal;
        await gate.promise;
        return w;
      },
    });
    await settle();
    engine.kill();
    expect(signal?.aborted).toBe(true);
    let done = false;
    void engine.wait().then(() => (done = true));
    await settle();
    expect(done).toBe(false); // still waiting for the start in flight
    gate.resolve();
    await engine.wait();
    expect(w.killed).toBe(true);
  });

  it('report gives each manifold its state, inputs, start count and worker report', async () => {
    const engine = newEngine();
    const a = testManifold();
    engine.install('a', a.manifold);
    engine.install('b', testManifold(['a', 'missing']).manifold);
    await settle();
    expect(engine.report()).toEqual({
      state: 'started',
      manifolds: {
        a: { state: 'started', inputs: [], 'start-count': 1, report: { label: 'w0' } },
        b: { state: 'stopped', inputs: ['a', 'missing'], 'start-count': 0 },
      },
    });
    engine.kill();
    await engine.wait();
    expect(engine.report().state).toBe('stopped');
  });

  it('rejects bad installs and changes nothing', () => {
    const engine = newEngine();
    engine.install('a', testManifold().manifold);
    expect(() => engine.install('a', testManifold().manifold)).toThrow('"a" manifold already installed');
    expect(() => engine.install('', testManifold().manifold)).toThrow(expect.objectContaining({ code: 'NotValid' }));
    expect(() => engine.install('self', testManifold(['self']).manifold)).toThrow(/itself/);
    expect(() => engine.install('x', {} as Manifold)).toThrow(/missing start/);
    expect(Object.keys(manifoldReports(engine))).toEqual(['a']);
    engine.kill();
    expect(() => engine.install('late', testManifold().manifold)).toThrow(/shutting down/);
  });

  it('exports manifold metrics to the registry and removes them on stop', async () => {
    const registry = new Registry();
    const engine = newEngine(new ManualClock(), { registry });
    engine.install('a', testManifold().manifold);
    await settle();
    const text = await registry.metrics();
    expect(text).toMatch(/modelwatch_dependency_manifolds\{state="started"\} 1/);
    expect(text).toMatch(/modelwatch_dependency_starts_total\{manifold="a"\} 1/);
    engine.kill();
    await engine.wait();
    expect(await registry.metrics()).not.toMatch(/modelwatch_dependency/);
  });
});
