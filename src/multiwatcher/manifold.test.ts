import { describe, expect, it } from 'vitest';
import type { Worker } from '../core/index.js';
import { deferred, ManualClock, nullLogger } from '../core/index.js';
import { Engine } from '../dependency/index.js';
import { multiwatcherManifold } from './manifold.js';
import { MemoryBacking, MODEL_1, shortDeltas, unitInfo } from './testing/index.js';
import { MultiwatcherWorker } from './worker.js';

function idleWorker(): Worker {
  const done = deferred<void>();
  return { kill: () => done.resolve(), wait: () => done.promise };
}

describe('multiwatcherManifold', () => {
  it('validates its config with the exact messages', () => {
    const clock = new ManualClock();
    expect(() => multiwatcherManifold({ clock, logger: nullLogger } as never)).toThrow('missing StateName not valid');
    expect(() => multiwatcherManifold({ stateName: 'state', logger: nullLogger } as never)).toThrow('missing Clock not valid');
    expect(() => multiwatcherManifold({ stateName: 'state', clock } as never)).toThrow('missing Logger not valid');
  });

  it('runs in the engine: input is the state resource, output is the worker used as a watcher factory', async () => {
    const clock = new ManualClock();
    const backing = new MemoryBacking({ initial: [unitInfo('a/0')] });
    const state = { allWatcherBacking: () => backing };
    const engine = new Engine({ clock, logger: nullLogger });
    const factory = deferred<MultiwatcherWorker>();
    engine.installAll({
      state: { inputs: [], start: () => Promise.resolve(idleWorker()), output: () => state },
      multiwatcher: multiwatcherManifold({ stateName: 'state', clock, logger: nullLogger }),
      consumer: {
        inputs: ['multiwatcher'],
        start: (ctx) => {
          factory.resolve(ctx.getResource<MultiwatcherWorker>('multiwatcher'));
          return Promise.resolve(idleWorker());
        },
      },
    });
    await clock.advanceAsync(1_000);
    const worker = await factory.promise;
    expect(worker).toBeInstanceOf(MultiwatcherWorker);
    expect(shortDeltas(await worker.watchModel(MODEL_1).next())).toEqual(['+a/0']);
    engine.kill();
    await clock.advanceAsync(1_000);
    await engine.wait();
    expect(backing.calls.release).toBe(1);
  });

  it('fails to start when the input yields no backing', async () => {
    const manifold = multiwatcherManifold({ stateName: 'state', clock: new ManualClock(), logger: nullLogger });
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- mirrors ManifoldContext.getResource
    const ctx = { getResource: <T>(): T => ({}) as T, signal: new AbortController().signal };
    await expect(manifold.start(ctx)).rejects.toThrow('missing Backing not valid');
  });
});
