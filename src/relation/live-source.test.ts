import { describe, expect, it } from 'vitest';
import { hasCode } from '../core/index.js';
import type { HookSource } from './hook-source.js';
import { newLiveHookSource } from './live-source.js';
import { RelationState } from './relation-state.js';
import { FakeRelationUnitsWatcher, drainSource, hooksFor, unitsChange } from './testing/index.js';

const h = hooksFor(7);

function source(members: Record<string, number> = {}, pending = ''): HookSource {
  return newLiveHookSource(new RelationState(7, new Map(Object.entries(members)), pending), new FakeRelationUnitsWatcher());
}

/** A started source whose members were delivered at the given versions. */
function started(members: Record<string, number> = {}): HookSource {
  const s = source(members);
  s.update(unitsChange(members));
  expect(s.empty()).toBe(true);
  return s;
}

describe('first change (§4.2)', () => {
  it('a first change with departures is a bad event: exact text, nothing modified', () => {
    const s = source({ 'a/0': 1 });
    const bad = unitsChange({ 'b/0': 1 }, ['a/0']);
    expect(() => s.update(bad)).toThrow(`hook source watcher sent bad event: ${JSON.stringify(bad)}`);
    expect(s.empty()).toBe(true);
    s.update(unitsChange({ 'a/0': 1 }));
    expect(s.empty()).toBe(true); // still the first change: a/0 is not departed
  });

  it('is empty before the first change, even with a changed owed', () => {
    const s = source({ 'a/0': 1 }, 'a/0');
    expect(s.empty()).toBe(true);
    expect(() => s.next()).toThrow('HookSource is empty');
    expect(() => s.pop()).toThrow('HookSource is empty');
  });

  it('departs stored members missing from the snapshot first, in plain string order (fix 4)', () => {
    const s = source({ 'c/0': 3, 'u/2': 1, 'u/10': 2, 'a/0': 4 });
    s.update(unitsChange({ 'c/0': 3, 'd/0': 0 }));
    expect(drainSource(s)).toEqual([
      h.departed('a/0', 4), h.departed('u/10', 2), h.departed('u/2', 1), h.joined('d/0', 0), h.changed('d/0', 0),
    ]);
  });

  it('a member whose version moved while the agent was down gets a changed', () => {
    const s = source({ 'a/0': 1 });
    s.update(unitsChange({ 'a/0': 2 }));
    expect(drainSource(s)).toEqual([h.changed('a/0', 2)]);
  });
});

describe('merging a change (§4.3)', () => {
  it('changed entries in plain string order (u/10 before u/2), each joined followed by its changed', () => {
    const s = started();
    s.update(unitsChange({ 'u/2': 0, 'u/10': 0, 'u/1': 0 }));
    expect(drainSource(s)).toEqual([
      h.joined('u/1', 0), h.changed('u/1', 0), h.joined('u/10', 0), h.changed('u/10', 0), h.joined('u/2', 0), h.changed('u/2', 0),
    ]);
  });

  it('changed entries before departed ones; departed in the order given', () => {
    const s = started({ 'x/0': 1, 'y/0': 1 });
    s.update(unitsChange({ 'z/0': 5 }, ['y/0', 'x/0']));
    expect(drainSource(s)).toEqual([h.joined('z/0', 5), h.changed('z/0', 5), h.departed('y/0', 1), h.departed('x/0', 1)]);
  });

  it('a queued joined carries the newest version (rule 7)', () => {
    const s = started();
    s.update(unitsChange({ 'a/0': 1 }));
    s.update(unitsChange({ 'a/0': 5 }));
    expect(drainSource(s)).toEqual([h.joined('a/0', 5), h.changed('a/0', 5)]);
  });

  it('several bumps before delivery collapse into one changed with the newest version (rule 3)', () => {
    const s = started({ 'a/0': 1 });
    for (let v = 2; v <= 101; v++) s.update(unitsChange({ 'a/0': v }));
    expect(drainSource(s)).toEqual([h.changed('a/0', 101)]);
  });

  it('a lower version is a change; the same version is not', () => {
    const s = started({ 'a/0': 5, 'b/0': 5 });
    s.update(unitsChange({ 'a/0': 3, 'b/0': 5 }));
    expect(drainSource(s)).toEqual([h.changed('a/0', 3)]);
  });

  it('going back to the delivered version unqueues the changed (nothing owed)', () => {
    const s = started({ 'a/0': 1 });
    s.update(unitsChange({ 'a/0': 2 }));
    s.update(unitsChange({ 'a/0': 1 }));
    expect(s.empty()).toBe(true);
  });

  it('a repeated version never drops an undelivered changed (fix 3)', () => {
    const s = started({ 'a/0': 1 });
    s.update(unitsChange({ 'a/0': 2 }));
    s.update(unitsChange({ 'a/0': 2 }));
    expect(drainSource(s)).toEqual([h.changed('a/0', 2)]);
  });

  it('a changed with a new version cancels a scheduled departure and keeps its slot (rule 8)', () => {
    const s = started({ 'a/0': 1, 'b/0': 1 });
    s.update(unitsChange({}, ['a/0', 'b/0']));
    s.update(unitsChange({ 'a/0': 2 }));
    expect(drainSource(s)).toEqual([h.changed('a/0', 2), h.departed('b/0', 1)]);
  });

  it('a changed at the delivered version cancels a scheduled departure (nothing owed)', () => {
    const s = started({ 'a/0': 1 });
    s.update(unitsChange({}, ['a/0']));
    s.update(unitsChange({ 'a/0': 1 }));
    expect(s.empty()).toBe(true);
  });

  it('a departure replaces a scheduled changed in its slot and carries the newest version (rules 7, 8)', () => {
    const s = started({ 'a/0': 1, 'b/0': 1, 'c/0': 1 });
    s.update(unitsChange({ 'c/0': 2 }));
    s.update(unitsChange({ 'a/0': 2 }));
    s.update(unitsChange({ 'b/0': 2 }, ['c/0']));
    expect(drainSource(s)).toEqual([h.departed('c/0', 2), h.changed('a/0', 2), h.changed('b/0', 2)]);
  });

  it('a second departure keeps the scheduled one', () => {
    const s = started({ 'a/0': 1, 'b/0': 1 });
    s.update(unitsChange({}, ['a/0']));
    s.update(unitsChange({ 'b/0': 2 }));
    s.update(unitsChange({}, ['a/0']));
    expect(drainSource(s)).toEqual([h.departed('a/0', 1), h.changed('b/0', 2)]);
  });

  it('a departure of a unit never seen is ignored, not a crash (fix 2)', () => {
    const s = started();
    s.update(unitsChange({}, ['ghost/0']));
    expect(s.empty()).toBe(true);
  });

  it('a unit that leaves before its joined ran gets no hooks, and joins cleanly when it returns (rule 5, fix 1)', () => {
    const s = started();
    s.update(unitsChange({ 'a/0': 1, 'b/0': 1 }));
    s.update(unitsChange({}, ['a/0']));
    expect(drainSource(s)).toEqual([h.joined('b/0', 1), h.changed('b/0', 1)]);
    s.update(unitsChange({ 'a/0': 1 }));
    expect(drainSource(s)).toEqual([h.joined('a/0', 1), h.changed('a/0', 1)]);
  });

  it('a unit named in both lists of one change ends up departed', () => {
    const s = started({ 'a/0': 1 });
    s.update(unitsChange({ 'a/0': 2, 'n/0': 1 }, ['a/0', 'n/0']));
    expect(drainSource(s)).toEqual([h.departed('a/0', 2)]);
  });

  it('a departed unit that re-enters starts again at joined (rule 4)', () => {
    const s = started({ 'a/0': 1 });
    s.update(unitsChange({}, ['a/0']));
    expect(drainSource(s)).toEqual([h.departed('a/0', 1)]);
    s.update(unitsChange({ 'a/0': 1 }));
    expect(drainSource(s)).toEqual([h.joined('a/0', 1), h.changed('a/0', 1)]);
  });

  it('rejects malformed changes, naming the field, and changes nothing', () => {
    const s = started({ 'a/0': 1 });
    const bad: unknown[] = [
      null,
      { changed: { 'Bad/0': { version: 1 } }, departed: [] },
      { changed: { 'a/0': { version: 1.5 } }, departed: [] },
      { changed: { 'a/0': 2 }, departed: [] },
      { changed: {}, departed: ['a'] },
      { changed: {}, departed: 'a/0' },
      { changed: [], departed: [] },
    ];
    for (const change of bad) {
      expect(() => s.update(change as never), JSON.stringify(change)).toThrow(/not valid/);
    }
    expect(s.empty()).toBe(true);
  });
});

describe('next and pop (§4.4)', () => {
  it('the owed changed comes right after its joined, even when the unit is already leaving (rule 2)', () => {
    const s = started();
    s.update(unitsChange({ 'u/0': 1 }));
    expect(s.next()).toEqual(h.joined('u/0', 1));
    s.pop();
    s.update(unitsChange({ 'v/0': 1 }, ['u/0']));
    expect(drainSource(s)).toEqual([h.changed('u/0', 1), h.joined('v/0', 1), h.changed('v/0', 1), h.departed('u/0', 1)]);
  });

  it('the owed changed carries the newest version and satisfies a scheduled changed', () => {
    const s = started();
    s.update(unitsChange({ 'u/0': 1 }));
    s.pop(); // joined u/0@1
    s.update(unitsChange({ 'u/0': 2 }));
    expect(drainSource(s)).toEqual([h.changed('u/0', 2)]);
  });

  it('next() returns a fresh object each time', () => {
    const s = started();
    s.update(unitsChange({ 'u/0': 1 }));
    const first = s.next();
    first.changeVersion = 99;
    expect(s.next()).toEqual(h.joined('u/0', 1));
  });

  it('the spec example: bumps to 5 and 6 then a departure give one departed at 6', () => {
    const s = started({ 'u/0': 4 });
    s.update(unitsChange({ 'u/0': 5 }));
    s.update(unitsChange({ 'u/0': 6 }));
    s.update(unitsChange({}, ['u/0']));
    expect(drainSource(s)).toEqual([h.departed('u/0', 6)]);
  });
});

describe('restart and recovery (§4.5)', () => {
  it('the spec example: changed owed for a unit that vanished runs first, then its departed', () => {
    const s = source({ 'app/1': 7, 'app/2': 2 }, 'app/1');
    s.update(unitsChange({ 'app/2': 2, 'app/3': 0 }));
    expect(drainSource(s)).toEqual([h.changed('app/1', 7), h.departed('app/1', 7), h.joined('app/3', 0), h.changed('app/3', 0)]);
  });

  it('the owed changed carries the first change\'s newer version', () => {
    const s = source({ 'app/1': 7 }, 'app/1');
    s.update(unitsChange({ 'app/1': 9 }));
    expect(drainSource(s)).toEqual([h.changed('app/1', 9)]);
  });
});

describe('newLiveHookSource factory', () => {
  it('refuses a broken state, a pending unit that is not a member and a missing watcher', () => {
    const w = new FakeRelationUnitsWatcher();
    expect(() => newLiveHookSource(new RelationState(7, null), w)).toThrow(/broken/);
    const s = new RelationState(7);
    s.changedPending = 'a/0';
    expect(() => newLiveHookSource(s, w)).toThrow(/"a\/0" is not a member/);
    try {
      newLiveHookSource(new RelationState(7), undefined as never);
    } catch (err) {
      expect(hasCode(err, 'NotValid')).toBe(true);
    }
    expect(() => newLiveHookSource(new RelationState(7), undefined as never)).toThrow('missing RelationUnitsWatcher not valid');
  });

  it('is built from a copy: later edits to the initial state change nothing', () => {
    const initial = new RelationState(7, new Map([['a/0', 1]]));
    const s = newLiveHookSource(initial, new FakeRelationUnitsWatcher());
    initial.members.delete('a/0');
    s.update(unitsChange({}));
    expect(drainSource(s)).toEqual([h.departed('a/0', 1)]);
  });

  it('changes() is the watcher\'s; stop() stops the watcher and settles as it does', async () => {
    const w = new FakeRelationUnitsWatcher();
    const s = newLiveHookSource(new RelationState(7), w);
    w.send(unitsChange({ 'a/0': 1 }));
    const it = s.changes()[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ done: false, value: unitsChange({ 'a/0': 1 }) });
    w.failStopWith(new Error('watcher died'));
    await expect(s.stop()).rejects.toThrow('watcher died');
    expect(w.stopCalls).toBe(1);
  });
});
