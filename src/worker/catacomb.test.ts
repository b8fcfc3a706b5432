import { describe, expect, it } from 'vitest';
import { deferred } from '../core/index.js';
import type { Worker } from '../core/index.js';
import { Catacomb, runWorker } from './catacomb.js';
import { deadWorker } from './dead-worker.js';

/** A child worker that stops when killed, or dies when told to. */
function childWorker(): Worker & { die(err: Error): void; killed: boolean } {
  const done = deferred<void>();
  const w = {
    killed: false,
    kill() {
      w.killed = true;
      done.resolve();
    },
    wait: () => done.promise,
    die: (err: Error) => done.reject(err),
  };
  return w;
}

// A loop must check `aborted` first: kill() may come before the loop's first step.
const untilAborted = (signal: AbortSignal): Promise<void> =>
  signal.aborted ? Promise.resolve() : new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));

describe('Catacomb', () => {
  it('kill stops the loop and every child, then wait resolves', async () => {
    const a = childWorker();
    const b = childWorker();
    const c = Catacomb.invoke({ init: [a], work: (cat) => untilAborted(cat.signal) });
    c.add(b);
    c.kill();
    await expect(c.wait()).resolves.toBeUndefined();
    expect(a.killed && b.killed).toBe(true);
  });

  it("a child's error kills the catacomb and its siblings, and wait reports that error", async () => {
    const a = childWorker();
    const b = childWorker();
    const c = Catacomb.invoke({ init: [a, b], work: (cat) => untilAborted(cat.signal) });
    a.die(new Error('child broke'));
    await expect(c.wait()).rejects.toThrow('child broke');
    expect(b.killed).toBe(true);
    expect(c.err()?.message).toBe('child broke');
  });

  it('the first error wins over later ones', async () => {
    const a = childWorker();
    const c = Catacomb.invoke({
      init: [a],
      work: async (cat) => {
        await untilAborted(cat.signal);
        throw new Error('loop error after kill');
      },
    });
    c.kill(new Error('first'));
    await expect(c.wait()).rejects.toThrow('first');
  });

  it("the loop's rejection kills children and is reported", async () => {
    const a = childWorker();
    const c = Catacomb.invoke({ init: [a], work: () => Promise.reject(new Error('loop failed')) });
    await expect(c.wait()).rejects.toThrow('loop failed');
    expect(a.killed).toBe(true);
  });

  it('a loop that returns cleanly stops the catacomb cleanly', async () => {
    const a = childWorker();
    const c = Catacomb.invoke({ init: [a], work: async () => undefined });
    await expect(c.wait()).resolves.toBeUndefined();
    expect(a.killed).toBe(true);
  });

  it('a child that stops cleanly leaves without killing the catacomb', async () => {
    const a = childWorker();
    const c = Catacomb.invoke({ init: [a], work: (cat) => untilAborted(cat.signal) });
    a.kill();
    await a.wait();
    await Promise.resolve();
    expect(c.isDying()).toBe(false);
    c.kill();
    await c.wait();
  });

  it('a child added while dying is killed at once and still waited for', async () => {
    const c = Catacomb.invoke({ work: (cat) => untilAborted(cat.signal) });
    c.kill();
    const late = childWorker();
    c.add(late);
    expect(late.killed).toBe(true);
    await c.wait();
  });

  it('wait does not hang after kill even if kill races the loop start', async () => {
    const c = Catacomb.invoke({ work: (cat) => untilAborted(cat.signal) });
    c.kill(); // before work has even started (it starts on a microtask)
    await expect(c.wait()).resolves.toBeUndefined();
  });

  it('a synchronous throw from work is the catacomb error', async () => {
    const c = Catacomb.invoke({
      work: () => {
        throw new Error('sync');
      },
    });
    await expect(c.wait()).rejects.toThrow('sync');
  });

  it('runWorker runs a loop until killed; dying() resolves on kill', async () => {
    let ran = false;
    const w = runWorker(async (signal) => {
      ran = true;
      await untilAborted(signal);
    });
    const dying = w.dying();
    w.kill();
    await dying;
    await w.wait();
    expect(ran).toBe(true);
  });
});

describe('deadWorker', () => {
  it('kill is a no-op and wait rejects with its error every time', async () => {
    const w = deadWorker(new Error('gone'));
    w.kill();
    await expect(w.wait()).rejects.toThrow('gone');
    await expect(w.wait()).rejects.toThrow('gone');
  });
});
