import { describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock.js';
import { sleep } from './clock.js';

describe('ManualClock', () => {
  it('starts at the given time and moves only on advance', () => {
    const c = new ManualClock(1000);
    expect(c.now()).toBe(1000);
    c.advance(250);
    expect(c.now()).toBe(1250);
  });

  it('fires timers in time order, ties in creation order, each at its due time', () => {
    const c = new ManualClock(0);
    const fired: string[] = [];
    c.setTimeout(() => fired.push(`c@${c.now()}`), 30);
    c.setTimeout(() => fired.push(`a@${c.now()}`), 10);
    c.setTimeout(() => fired.push(`b1@${c.now()}`), 20);
    c.setTimeout(() => fired.push(`b2@${c.now()}`), 20);
    c.advance(25);
    expect(fired).toEqual(['a@10', 'b1@20', 'b2@20']);
    expect(c.now()).toBe(25);
    c.advance(5);
    expect(fired).toEqual(['a@10', 'b1@20', 'b2@20', 'c@30']);
  });

  it('does not fire a timer before it is due, and fires a zero delay on the next advance', () => {
    const c = new ManualClock();
    let n = 0;
    c.setTimeout(() => n++, 0);
    c.setTimeout(() => n++, 10);
    expect(n).toBe(0);
    c.advance(0);
    expect(n).toBe(1);
    c.advance(9);
    expect(n).toBe(1);
    c.advance(1);
    expect(n).toBe(2);
  });

  it('cancel prevents firing and is idempotent, also after the timer fired', () => {
    const c = new ManualClock();
    let n = 0;
    const h = c.setTimeout(() => n++, 5);
    h.cancel();
    h.cancel();
    c.advance(10);
    expect(n).toBe(0);
    const h2 = c.setTimeout(() => n++, 5);
    c.advance(5);
    h2.cancel();
    expect(n).toBe(1);
    expect(c.pendingTimers()).toBe(0);
  });

  it('timers armed from a timer callback fire in the same advance when due', () => {
    const c = new ManualClock();
    const fired: number[] = [];
    c.setTimeout(() => {
      fired.push(c.now());
      c.setTimeout(() => fired.push(c.now()), 5);
    }, 10);
    c.advance(20);
    expect(fired).toEqual([10, 15]);
  });

  it('advance from inside a timer callback extends the outer advance without recursion', () => {
    const c = new ManualClock();
    const fired: string[] = [];
    c.setTimeout(() => {
      fired.push(`outer@${c.now()}`);
      c.advance(100); // re-entrant: extends the target to 10 + 100 + the rest
    }, 10);
    c.setTimeout(() => fired.push(`late@${c.now()}`), 105);
    c.setTimeout(() => fired.push(`later@${c.now()}`), 200);
    c.advance(20);
    expect(fired).toEqual(['outer@10', 'late@105']);
    expect(c.now()).toBe(120);
  });

  it('a timer cancelled by an earlier timer in the same advance does not fire', () => {
    const c = new ManualClock();
    let n = 0;
    const later = c.setTimeout(() => n++, 20);
    c.setTimeout(() => later.cancel(), 10);
    c.advance(30);
    expect(n).toBe(0);
  });

  it('rejects a negative or non-finite advance and changes nothing', () => {
    const c = new ManualClock(5);
    expect(() => c.advance(-1)).toThrow(expect.objectContaining({ code: 'NotValid' }));
    expect(() => c.advance(Number.NaN)).toThrow(expect.objectContaining({ code: 'NotValid' }));
    expect(c.now()).toBe(5);
  });

  it('sleep resolves after the delay on the clock, and rejects with the abort reason', async () => {
    const c = new ManualClock();
    let done = false;
    const p = sleep(c, 50).then(() => (done = true));
    c.advance(49);
    await Promise.resolve();
    expect(done).toBe(false);
    c.advance(1);
    await p;
    expect(done).toBe(true);
    const ac = new AbortController();
    const q = sleep(c, 50, ac.signal);
    ac.abort(new Error('bye'));
    await expect(q).rejects.toThrow('bye');
    expect(c.pendingTimers()).toBe(0);
  });

  it('advanceAsync fires timers armed by promise continuations', async () => {
    const c = new ManualClock();
    const seen: number[] = [];
    const loop = async (): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        await sleep(c, 10);
        seen.push(c.now());
      }
    };
    const p = loop();
    await c.advanceAsync(100);
    await p;
    expect(seen).toEqual([10, 20, 30]);
    expect(c.now()).toBe(100);
  });
});
