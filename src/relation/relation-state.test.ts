import { describe, expect, it } from 'vitest';
import { hasCode } from '../core/index.js';
import type { HookInfo } from './hook.js';
import { RelationState, commitHook } from './relation-state.js';
import { hooksFor } from './testing/index.js';

const h = hooksFor(1);

function reason(state: RelationState, hook: HookInfo): string | undefined {
  try {
    state.validate(hook);
    return undefined;
  } catch (err) {
    expect(hasCode(err, 'NotValid')).toBe(true);
    return (err as Error).message;
  }
}

describe('RelationState constructor', () => {
  it('copies the members map, so later edits to the argument change nothing', () => {
    const members = new Map([['mysql/0', 3]]);
    const state = new RelationState(1, members);
    members.set('mysql/1', 4);
    expect([...state.members]).toEqual([['mysql/0', 3]]);
    expect(state.broken).toBe(false);
    expect(state.changedPending).toBe('');
  });

  it('null members builds a broken state with no members; undefined an empty live one', () => {
    expect(new RelationState(1, null).broken).toBe(true);
    expect(new RelationState(1, null).members.size).toBe(0);
    expect(new RelationState(1).broken).toBe(false);
  });

  it.each([
    ['negative relation id', () => new RelationState(-1), /relation id -1 not valid/],
    ['fractional relation id', () => new RelationState(1.5), /relation id 1.5 not valid/],
    ['unsafe relation id', () => new RelationState(2 ** 53), /relation id/],
    ['bad unit name', () => new RelationState(1, new Map([['mysql', 1]])), /member "mysql" not valid/],
    ['unit number with leading zero', () => new RelationState(1, new Map([['mysql/01', 1]])), /member "mysql\/01" not valid/],
    ['non-integer version', () => new RelationState(1, new Map([['mysql/0', 0.5]])), /member "mysql\/0" version 0.5 not valid/],
    ['bad pending unit', () => new RelationState(1, new Map(), 'nope'), /changed pending unit "nope" not valid/],
    ['pending on a broken state', () => new RelationState(1, null, 'mysql/0'), /broken relation owes no hook/],
  ])('rejects %s, naming the field', (_name, build, message) => {
    expect(build).toThrow(message);
    try {
      build();
    } catch (err) {
      expect(hasCode(err, 'NotValid')).toBe(true);
    }
  });
});

describe('RelationState.validate (spec §7, rules in order)', () => {
  const live = new RelationState(1, new Map([['mysql/0', 1]]));
  const pending = new RelationState(1, new Map([['mysql/0', 1], ['mysql/1', 2]]), 'mysql/0');
  const broken = new RelationState(1, null);
  const empty = new RelationState(1);

  it.each<[string, RelationState, HookInfo, string | undefined]>([
    ['rule 1: another relation', live, hooksFor(2).joined('mysql/1', 0), 'inappropriate "relation-joined" for "mysql/1": expected relation 1, got relation 2'],
    ['rule 1 before rule 2', broken, hooksFor(2).broken(), 'inappropriate "relation-broken" for "": expected relation 1, got relation 2'],
    ['rule 2: broken state rejects broken', broken, h.broken(), 'inappropriate "relation-broken" for "": relation is broken and cannot be changed further'],
    ['rule 2: broken state rejects joined', broken, h.joined('mysql/0', 0), 'inappropriate "relation-joined" for "mysql/0": relation is broken and cannot be changed further'],
    ['rule 3: broken with members', live, h.broken(), 'inappropriate "relation-broken" for "": cannot run "relation-broken" while units still present'],
    ['rule 3: broken without members', empty, h.broken(), undefined],
    ['rule 3 before rule 4: broken passes while a changed is pending on no members', new RelationState(1, new Map(), 'mysql/0'), h.broken(), undefined],
    ['rule 4: the owed changed', pending, h.changed('mysql/0', 99), undefined],
    ['rule 4: changed for another member', pending, h.changed('mysql/1', 3), 'inappropriate "relation-changed" for "mysql/1": expected "relation-changed" for "mysql/0"'],
    ['rule 4: departed for the pending unit', pending, h.departed('mysql/0', 1), 'inappropriate "relation-departed" for "mysql/0": expected "relation-changed" for "mysql/0"'],
    ['rule 4: joined for a new unit', pending, h.joined('mysql/5', 1), 'inappropriate "relation-joined" for "mysql/5": expected "relation-changed" for "mysql/0"'],
    ['rule 5: joined for a member', live, h.joined('mysql/0', 2), 'inappropriate "relation-joined" for "mysql/0": unit already joined'],
    ['rule 6: changed for a stranger', live, h.changed('mysql/1', 2), 'inappropriate "relation-changed" for "mysql/1": unit has not joined'],
    ['rule 6: departed for a stranger', live, h.departed('mysql/1', 2), 'inappropriate "relation-departed" for "mysql/1": unit has not joined'],
    ['ok: joined for a stranger', live, h.joined('mysql/1', 0), undefined],
    ['ok: changed for a member, any version', live, h.changed('mysql/0', -7), undefined],
    ['ok: departed for a member', live, h.departed('mysql/0', 1), undefined],
  ])('%s', (_name, state, hook, expected) => {
    expect(reason(state, hook)).toBe(expected);
  });

  it('the example of the spec', () => {
    expect(reason(live, h.joined('mysql/0', 0))).toBe('inappropriate "relation-joined" for "mysql/0": unit already joined');
  });
});

describe('commitHook', () => {
  it('joined sets the member and the owed changed; changed clears it; departed leaves it', () => {
    let s = new RelationState(1);
    s = commitHook(s, h.joined('a/0', 3));
    expect([...s.members]).toEqual([['a/0', 3]]);
    expect(s.changedPending).toBe('a/0');
    s = commitHook(s, h.changed('a/0', 4));
    expect(s.changedPending).toBe('');
    expect(s.members.get('a/0')).toBe(4);
    const pendingB = commitHook(commitHook(s, h.joined('b/0', 1)), h.departed('a/0', 4));
    expect(pendingB.changedPending).toBe('b/0');
    expect([...pendingB.members.keys()]).toEqual(['b/0']);
  });

  it('broken empties and breaks; the input state is never modified', () => {
    const s = new RelationState(1, new Map([['a/0', 1]]), 'a/0');
    const b = commitHook(s, h.broken());
    expect(b.broken).toBe(true);
    expect(b.members.size).toBe(0);
    expect(b.changedPending).toBe('');
    expect(s.broken).toBe(false);
    expect(s.members.size).toBe(1);
  });

  it('clone is deep', () => {
    const s = new RelationState(1, new Map([['a/0', 1]]));
    const c = s.clone();
    c.members.set('b/0', 2);
    expect(s.members.has('b/0')).toBe(false);
  });
});
