import { describe, expect, it } from 'vitest';
import { hasCode } from '../core/index.js';
import type { HookInfo } from './hook.js';
import { newDyingHookSource, newListSource } from './list-source.js';
import { RelationState, commitHook } from './relation-state.js';
import { drainSource, hooksFor, unitsChange } from './testing/index.js';

const h = hooksFor(4);

describe('newListSource (§6.1)', () => {
  it('yields copies of the hooks in order, then is empty', () => {
    const list: HookInfo[] = [h.joined('a/0', 1), h.changed('a/0', 1)];
    const s = newListSource(list);
    list.pop();
    (list[0] as HookInfo).changeVersion = 9;
    expect(drainSource(s)).toEqual([h.joined('a/0', 1), h.changed('a/0', 1)]);
    expect(() => s.next()).toThrow('HookSource is empty');
    expect(() => s.pop()).toThrow('HookSource is empty');
  });

  it('refuses updates with the exact text; stop resolves', async () => {
    const s = newListSource([]);
    expect(s.empty()).toBe(true);
    expect(() => s.update(unitsChange({}))).toThrow('HookSource does not accept updates');
    await expect(s.stop()).resolves.toBeUndefined();
  });

  it('changes() yields nothing and never completes; return() resolves at once and ends a pending next', async () => {
    const it = newListSource([]).changes()[Symbol.asyncIterator]();
    let settled = false;
    const pending = it.next().then((r) => { settled = true; return r; });
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    await expect(it.return?.()).resolves.toEqual({ done: true, value: undefined });
    expect(await pending).toEqual({ done: true, value: undefined });
  });

  it('rejects malformed hooks', () => {
    expect(() => newListSource([{ kind: 'relation-joined', relationId: -1, remoteUnit: 'a/0', changeVersion: 0 }])).toThrow(/relation id -1 not valid/);
  });
});

describe('newDyingHookSource (§5, rule 6)', () => {
  it('owed changed first (stored version), departed for every member in ascending order, then one broken', () => {
    let state = new RelationState(4, new Map([['u/2', 5], ['u/10', 3], ['a/0', 1]]), 'u/2');
    const hooks = drainSource(newDyingHookSource(state));
    expect(hooks).toEqual([h.changed('u/2', 5), h.departed('a/0', 1), h.departed('u/10', 3), h.departed('u/2', 5), h.broken()]);
    for (const hook of hooks) {
      state.validate(hook);
      state = commitHook(state, hook);
    }
    expect(state.broken).toBe(true);
  });

  it('with no members yields only broken (it may run although no unit ever joined)', () => {
    expect(drainSource(newDyingHookSource(new RelationState(4)))).toEqual([h.broken()]);
  });

  it('refuses a broken state and does not accept updates', () => {
    try {
      newDyingHookSource(new RelationState(4, null));
      expect.unreachable();
    } catch (err) {
      expect(hasCode(err, 'NotValid')).toBe(true);
    }
    expect(() => newDyingHookSource(new RelationState(4)).update(unitsChange({}))).toThrow('HookSource does not accept updates');
  });
});
