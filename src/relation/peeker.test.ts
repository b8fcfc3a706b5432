import { describe, expect, it } from 'vitest';
import { newLiveHookSource } from './live-source.js';
import type { Peek } from './peeker.js';
import { newPeeker } from './peeker.js';
import { RelationState } from './relation-state.js';
import { FakeRelationUnitsWatcher, hooksFor, unitsChange } from './testing/index.js';

const h = hooksFor(5);

async function turns(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

function setup(): { watcher: FakeRelationUnitsWatcher; peeker: ReturnType<typeof newPeeker>; it: AsyncIterator<Peek> } {
  const watcher = new FakeRelationUnitsWatcher();
  const peeker = newPeeker(newLiveHookSource(new RelationState(5), watcher));
  return { watcher, peeker, it: peeker.peeks()[Symbol.asyncIterator]() };
}

async function peek(it: AsyncIterator<Peek>): Promise<Peek> {
  const r = await it.next();
  if (r.done === true) throw new Error('peeks ended');
  return r.value;
}

describe('newPeeker (§6.3)', () => {
  it('a pull resolves only once the source is non-empty', async () => {
    const { watcher, peeker, it } = setup();
    let got: Peek | undefined;
    const pull = peek(it).then((p) => { got = p; return p; });
    watcher.send(unitsChange({}));
    await turns();
    expect(got).toBeUndefined();
    watcher.send(unitsChange({ 'a/0': 1 }));
    expect((await pull).hookInfo()).toEqual(h.joined('a/0', 1));
    await peeker.stop();
  });

  it('consume pops; reject offers the same hook again as a new peek', async () => {
    const { watcher, peeker, it } = setup();
    watcher.send(unitsChange({ 'a/0': 1 }));
    const first = await peek(it);
    expect(first.hookInfo()).toEqual(h.joined('a/0', 1));
    first.reject();
    const again = await peek(it);
    expect(again).not.toBe(first);
    expect(again.hookInfo()).toEqual(h.joined('a/0', 1));
    again.consume();
    expect((await peek(it)).hookInfo()).toEqual(h.changed('a/0', 1));
    await peeker.stop();
  });

  it('a peek settles once: a second consume or reject throws and changes nothing', async () => {
    const { watcher, peeker, it } = setup();
    watcher.send(unitsChange({ 'a/0': 1, 'b/0': 1 }));
    const p = await peek(it);
    p.consume();
    expect(() => p.consume()).toThrow('peek already consumed or rejected');
    expect(() => p.reject()).toThrow('peek already consumed or rejected');
    expect((await peek(it)).hookInfo()).toEqual(h.changed('a/0', 1)); // popped exactly once
    await peeker.stop();
  });

  it('while a peek is outstanding no change is applied; while nobody pulls, changes keep being applied', async () => {
    const { watcher, peeker, it } = setup();
    watcher.send(unitsChange({ 'a/0': 1 }));
    const p = await peek(it);
    watcher.send(unitsChange({ 'a/0': 4 }));
    watcher.send(unitsChange({ 'a/0': 5 }));
    await turns();
    expect(watcher.pending).toBe(1); // at most one change is pulled ahead, and none applied
    expect(p.hookInfo()).toEqual(h.joined('a/0', 1)); // stable while outstanding
    p.reject();
    await turns();
    expect(watcher.pending).toBe(0); // applied although nobody pulls
    watcher.send(unitsChange({ 'a/0': 6 }));
    await turns();
    expect(watcher.pending).toBe(0);
    expect((await peek(it)).hookInfo()).toEqual(h.joined('a/0', 6));
    await peeker.stop();
  });

  it('stop ends pending pulls, stops the source, and makes consume/reject no-ops', async () => {
    const { watcher, peeker, it } = setup();
    watcher.send(unitsChange({ 'a/0': 1 }));
    const p = await peek(it);
    const pending = it.next();
    await peeker.stop();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(watcher.stopCalls).toBe(1);
    p.consume();
    p.consume();
  });

  it.each([
    ['the changes complete', (w: FakeRelationUnitsWatcher) => { w.close(); }, 'hook source stopped providing updates'],
    ['update throws', (w: FakeRelationUnitsWatcher) => { w.send(unitsChange({}, ['x/0'])); }, 'hook source watcher sent bad event'],
  ])('dies when %s: the iteration ends and stop() rejects with the error', async (_name, breakIt, message) => {
    const { watcher, peeker, it } = setup();
    const pending = it.next();
    breakIt(watcher);
    expect(await pending).toEqual({ done: true, value: undefined });
    await expect(peeker.stop()).rejects.toThrow(message);
    expect(watcher.stopCalls).toBe(1);
  });

  it('for await over peeks() ends when the peeker stops', async () => {
    const { watcher, peeker } = setup();
    watcher.send(unitsChange({ 'a/0': 1 }));
    const seen: string[] = [];
    for await (const p of peeker.peeks()) {
      seen.push(p.hookInfo().kind);
      p.consume();
      if (seen.length === 2) void peeker.stop();
    }
    expect(seen).toEqual(['relation-joined', 'relation-changed']);
  });
});
