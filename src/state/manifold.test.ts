// The state manifold: config validated with exact texts; start opens (and migrates) the database,
// the output is a working State, and kill closes it.
import { expect, it } from 'vitest';
import { ManualClock, hasCode, nullLogger } from '../core/index.js';
import type { Worker } from '../core/index.js';
import { stateManifold } from './manifold.js';
import type { StateManifoldConfig } from './manifold.js';
import type { State } from './state.js';

const clock = new ManualClock(0);
const ctx = { getResource: () => { throw new Error('no inputs'); }, signal: new AbortController().signal };

it('rejects a config without URL, Clock or Logger with the exact texts', () => {
  const cases: [Partial<StateManifoldConfig>, string][] = [
    [{ clock, logger: nullLogger }, 'missing URL not valid'],
    [{ url: 'sqlite::memory:', logger: nullLogger }, 'missing Clock not valid'],
    [{ url: 'sqlite::memory:', clock }, 'missing Logger not valid'],
  ];
  for (const [config, message] of cases) {
    expect(() => stateManifold(config as StateManifoldConfig)).toThrow(message);
  }
});

it('outputs an open State and closes it on kill', async () => {
  const manifold = stateManifold({ url: 'sqlite::memory:', clock, logger: nullLogger });
  expect(manifold.inputs).toEqual([]);
  const worker: Worker = await manifold.start(ctx);
  const state = manifold.output?.(worker) as State;
  expect(await state.update({ kind: 'model', modelUUID: '00000000-0000-4000-8000-000000000001', id: '00000000-0000-4000-8000-000000000001', data: {} })).toBe(1);
  expect((worker as unknown as { report(): Record<string, unknown> }).report()['last-revision']).toBe(1);
  worker.kill();
  worker.kill();
  await worker.wait();
  expect(hasCode(await state.revision().catch((e: unknown) => e), 'Stopped')).toBe(true);
});

it('a start abandoned while opening closes what it opened', async () => {
  const ac = new AbortController();
  ac.abort(new Error('engine stopping'));
  const manifold = stateManifold({ url: 'sqlite::memory:', clock, logger: nullLogger });
  await expect(manifold.start({ ...ctx, signal: ac.signal })).rejects.toThrow('engine stopping');
});
