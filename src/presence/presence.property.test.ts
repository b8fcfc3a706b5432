// Property: with pingers only started, stopped and restarted (never killed), a key with a running
// pinger is alive at every synced read, and a key whose pingers all stopped 3P ago is dead: no
// false deaths from restarts, overlapping connections or window edges. Seeds of failures are kept
// below as fixed cases.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flushMicrotasks } from '../core/index.js';
import { MemoryPresenceStore } from './memory-store.js';
import type { Pinger } from './pinger.js';
import { World } from './testing/index.js';

const P = 30_000;
type Op = { advanceMs: number; pinger: number; action: 'restart' | 'stop' | 'start' };

const opArb: fc.Arbitrary<Op> = fc.record({
  advanceMs: fc.integer({ min: 0, max: 40_000 }),
  pinger: fc.integer({ min: 0, max: 3 }),
  action: fc.constantFrom('restart' as const, 'stop' as const, 'start' as const),
});

async function run(ops: readonly Op[]): Promise<void> {
  const world = new World({ store: new MemoryPresenceStore(), settle: flushMicrotasks, exactTiming: true, close: () => Promise.resolve() });
  const keys = ['m#0', 'm#1'];
  const pingers: Pinger[] = [0, 1, 2, 3].map((i) => world.pinger(keys[i >> 1] ?? 'm#0'));
  const running = [false, false, false, false];
  const lastStop = [-Infinity, -Infinity];
  const w = world.watcher();
  try {
    for (const op of ops) {
      await world.advance(op.advanceMs);
      const p = pingers[op.pinger];
      const key = op.pinger >> 1;
      if (p === undefined) continue;
      if (op.action !== 'start' && running[op.pinger] === true) {
        await p.stop();
        running[op.pinger] = false;
        lastStop[key] = world.clock.now();
      }
      if (op.action !== 'stop' && running[op.pinger] === false) {
        await p.start();
        running[op.pinger] = true;
      }
      await world.flush();
      await w.sync();
      for (let k = 0; k < keys.length; k++) {
        const anyRunning = running[2 * k] === true || running[2 * k + 1] === true;
        const alive = await w.alive(keys[k] ?? '');
        if (anyRunning) expect(alive, `key ${k} has a running pinger`).toBe(true);
        else if (world.clock.now() - (lastStop[k] ?? 0) >= 3 * P) expect(alive, `key ${k} stopped 3P ago`).toBe(false);
      }
    }
  } finally {
    await world.close();
  }
}

describe('presence property', () => {
  it('no false death from restarts and overlapping pingers; stopped keys die within 3P', async () => {
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), run), { numRuns: 60 });
  });

  it('fixed case: restart at a slot edge with the other connection stopped', async () => {
    await run([
      { advanceMs: 29_999, pinger: 0, action: 'start' },
      { advanceMs: 1, pinger: 1, action: 'start' },
      { advanceMs: 0, pinger: 1, action: 'stop' },
      { advanceMs: 30_000, pinger: 0, action: 'restart' },
      { advanceMs: 40_000, pinger: 0, action: 'restart' },
    ]);
  });
});
