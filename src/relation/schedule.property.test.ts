// Property: for random sequences of relation units changes, deliveries and agent restarts, the
// hooks the schedule emits obey spec §3 against the committed state they are applied to.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HookInfo, RelationUnitsChange } from './hook.js';
import { newDyingHookSource } from './list-source.js';
import { RelationState, commitHook } from './relation-state.js';
import type { Schedule, UnitRecord } from './schedule.js';
import { isEmpty, newSchedule, nextHook, step } from './schedule.js';
import { drainSource } from './testing/index.js';

const UNITS = ['a/0', 'a/1', 'a/10', 'a/2', 'b/0'] as const;
const RELATION = 3;

type Op =
  | { type: 'change'; changed: [number, number][]; departed: number[] }
  | { type: 'deliver'; count: number }
  | { type: 'restart' };

const unitIndex = fc.nat({ max: UNITS.length - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ type: fc.constant('change' as const), changed: fc.array(fc.tuple(unitIndex, fc.integer({ min: 0, max: 4 })), { maxLength: 4 }), departed: fc.array(unitIndex, { maxLength: 3 }) }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constant('deliver' as const), count: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.constant({ type: 'restart' as const }) },
);
const scenarioArb = fc.record({ ops: fc.array(opArb, { maxLength: 40 }), dying: fc.boolean() });

/** §4.1 invariants of the schedule structure. */
function checkInvariants(s: Schedule): void {
  const seen = new Set<UnitRecord>();
  let prev: UnitRecord | undefined;
  for (let rec = s.head; rec !== undefined; rec = rec.next) {
    expect(seen.has(rec), 'a unit is queued at most once').toBe(false);
    seen.add(rec);
    expect(rec.prev).toBe(prev);
    expect(s.units.get(rec.unit)).toBe(rec);
    prev = rec;
  }
  expect(s.tail).toBe(prev);
  for (const rec of s.units.values()) {
    expect(rec.scheduled === 'joined', 'scheduled joined ⇔ not joined').toBe(!rec.joined);
    if (rec.scheduled === 'changed') expect(rec.latest).not.toBe(rec.delivered);
    expect(seen.has(rec)).toBe(rec.scheduled !== 'none');
  }
  if (s.changedPending !== '') expect(s.units.get(s.changedPending)?.joined).toBe(true);
}

/** Drives one scenario; returns the hooks delivered, for the fixed cases. */
function run(ops: readonly Op[], dying: boolean): HookInfo[] {
  const present = new Map<string, number>(); // the watcher's view of the scope
  let committed = new RelationState(RELATION); // what StateDir.write would have left
  let known = new Map<string, number>(); // newest version the current schedule was told of
  let schedule = newSchedule(committed);
  const delivered: HookInfo[] = [];

  const apply = (change: RelationUnitsChange): void => {
    step(schedule, { type: 'change', change });
    for (const [unit, { version }] of Object.entries(change.changed)) known.set(unit, version);
    checkInvariants(schedule);
  };
  const snapshot = (): RelationUnitsChange => ({
    changed: Object.fromEntries([...present].map(([u, version]) => [u, { version }])), departed: [],
  });
  const start = (): void => {
    schedule = newSchedule(committed);
    known = new Map(committed.members);
    apply(snapshot());
  };
  const deliverOne = (): void => {
    const hook = nextHook(schedule);
    const before = committed;
    expect(() => before.validate(hook), JSON.stringify(hook)).not.toThrow(); // (a)
    const owed = before.changedPending === hook.remoteUnit && hook.kind === 'relation-changed';
    const last = delivered.at(-1);
    if (last?.kind === 'relation-joined') expect(hook).toMatchObject({ kind: 'relation-changed', remoteUnit: last.remoteUnit }); // rule 2
    if (hook.kind === 'relation-changed' && !owed) expect(hook.changeVersion).not.toBe(before.members.get(hook.remoteUnit)); // rule 3, (d)
    expect(hook.changeVersion, 'rule 7: newest data').toBe(known.get(hook.remoteUnit));
    step(schedule, { type: 'pop' });
    checkInvariants(schedule);
    committed = commitHook(before, hook);
    delivered.push(hook);
  };

  start();
  for (const op of ops) {
    if (op.type === 'restart') {
      start();
    } else if (op.type === 'deliver') {
      for (let i = 0; i < op.count && !isEmpty(schedule); i++) deliverOne();
    } else {
      const change: RelationUnitsChange = { changed: {}, departed: op.departed.map((i) => UNITS[i] as string) };
      for (const [i, version] of op.changed) change.changed[UNITS[i] as string] = { version };
      for (const [unit, { version }] of Object.entries(change.changed)) present.set(unit, version);
      for (const unit of change.departed) present.delete(unit);
      apply(change);
    }
  }

  if (dying) {
    // Rule 6: the owed changed, departed for every member, then exactly one broken.
    const hooks = drainSource(newDyingHookSource(committed));
    const owed = committed.changedPending;
    expect(hooks.at(-1)).toEqual({ kind: 'relation-broken', relationId: RELATION, remoteUnit: '', changeVersion: 0 });
    expect(hooks.filter((x) => x.kind === 'relation-broken')).toHaveLength(1);
    if (owed !== '') expect(hooks[0]).toMatchObject({ kind: 'relation-changed', remoteUnit: owed });
    for (const hook of hooks) {
      committed.validate(hook);
      committed = commitHook(committed, hook);
    }
    expect(committed.broken).toBe(true);
    return [...delivered, ...hooks];
  }
  while (!isEmpty(schedule)) deliverOne();
  // (c) the members are the units present, at their latest versions.
  expect(new Map([...committed.members].sort())).toEqual(new Map([...present].sort()));
  expect(committed.changedPending).toBe('');
  return delivered;
}

describe('schedule property (spec §3)', () => {
  it('emitted hooks validate, keep the ordering guarantees, end with members = units present, never repeat a delivered version', () => {
    fc.assert(fc.property(scenarioArb, ({ ops, dying }) => { run(ops, dying); }), { numRuns: 400 });
  });

  // Fixed cases: hand-picked shapes that upstream got wrong (fixes 1–3) and restart corners.
  it('fixed case: leave before joined, return, repeated version, restart with an owed changed', () => {
    const hooks = run([
      { type: 'change', changed: [[0, 1]], departed: [] },
      { type: 'change', changed: [], departed: [0] },
      { type: 'change', changed: [[0, 1], [1, 2]], departed: [] },
      { type: 'deliver', count: 1 },
      { type: 'restart' },
      { type: 'change', changed: [[1, 2], [1, 2]], departed: [4] },
      { type: 'deliver', count: 2 },
      { type: 'restart' },
      { type: 'change', changed: [], departed: [0] },
    ], false);
    expect(hooks.map((x) => `${x.kind} ${x.remoteUnit}@${x.changeVersion}`)).toEqual([
      'relation-joined a/0@1', 'relation-changed a/0@1', 'relation-joined a/1@2', 'relation-changed a/1@2', 'relation-departed a/0@1',
    ]);
  });

  it('fixed case: dying with a changed owed and a unit leaving', () => {
    const hooks = run([
      { type: 'change', changed: [[2, 0], [3, 1]], departed: [] },
      { type: 'deliver', count: 3 },
    ], true);
    expect(hooks.map((x) => `${x.kind} ${x.remoteUnit}`)).toEqual([
      'relation-joined a/10', 'relation-changed a/10', 'relation-joined a/2',
      'relation-changed a/2', 'relation-departed a/10', 'relation-departed a/2', 'relation-broken ',
    ]);
  });
});
