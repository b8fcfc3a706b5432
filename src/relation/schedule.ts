// The live hook schedule (spec §4): which hook each known remote unit is owed, and in which order.
// A reducer over (schedule, event) with no I/O, clock or promises; the live source wraps it.
//
// It updates the schedule in place and returns it: copying a 1,000-unit schedule per event would
// break the O(1)-per-unit-touched bound. The FIFO is a doubly linked list threaded through the
// records, not a Map: V8's Map keeps deleted slots until it rehashes, so taking a Map's first key
// after k deletions from the front costs O(k) and draining a queue is quadratic (100k units: 1.7 s).
import { ModelwatchError } from '../core/index.js';
import type { HookInfo, HookKind, RelationUnitsChange } from './hook.js';
import type { RelationState } from './relation-state.js';

/** The hook a unit waits for in the queue; 'none' when it is not queued. */
export type ScheduledHook = 'joined' | 'changed' | 'departed' | 'none';

/** What the schedule knows of one remote unit; kept until its departed is popped or its joined cancelled. */
export interface UnitRecord {
  readonly unit: string;
  /** A joined was popped (preset for initial members). `scheduled = 'joined'` ⇔ `!joined`. */
  joined: boolean;
  /** Version carried by the last popped hook for the unit (the stored one for initial members). */
  delivered: number | undefined;
  /** Newest version known. */
  latest: number;
  scheduled: ScheduledHook;
  /** FIFO links; meaningful only while `scheduled !== 'none'`. */
  prev: UnitRecord | undefined;
  next: UnitRecord | undefined;
}

/** One relation's schedule. Only `step` mutates it. */
export interface Schedule {
  readonly relationId: number;
  readonly units: Map<string, UnitRecord>;
  /** FIFO of units with a scheduled hook, oldest first; a unit is queued at most once. */
  head: UnitRecord | undefined;
  tail: UnitRecord | undefined;
  /** The unit owed the changed that follows its joined ('' for none); it always has a joined record. */
  changedPending: string;
  /** Whether the first change (the watcher's snapshot) has been applied. */
  started: boolean;
}

/** What the schedule reacts to: a watcher change, or the delivery of the hook `nextHook` offered. */
export type ScheduleEvent = { type: 'change'; change: RelationUnitsChange } | { type: 'pop' };

/** `next()`/`pop()` on an empty source. */
export function emptySourceError(): ModelwatchError {
  return new ModelwatchError('NotValid', 'HookSource is empty');
}

/**
 * A schedule from committed state: one joined record per member, nothing queued. The caller has
 * checked that `initial` is not broken and that a set `changedPending` is a member.
 */
export function newSchedule(initial: RelationState): Schedule {
  const units = new Map<string, UnitRecord>();
  for (const [unit, version] of initial.members) {
    units.set(unit, { unit, joined: true, delivered: version, latest: version, scheduled: 'none', prev: undefined, next: undefined });
  }
  return { relationId: initial.relationId, units, head: undefined, tail: undefined, changedPending: initial.changedPending, started: false };
}

/** True until the first change was applied; then true iff nothing is queued or owed. */
export function isEmpty(s: Schedule): boolean {
  return !s.started || (s.head === undefined && s.changedPending === '');
}

const KIND: Record<Exclude<ScheduledHook, 'none'>, HookKind> = {
  joined: 'relation-joined', changed: 'relation-changed', departed: 'relation-departed',
};

/**
 * The hook to run now, as a fresh object: the owed changed if any, else the head unit's hook,
 * carrying the record's newest version.
 * @throws ModelwatchError `HookSource is empty`.
 */
export function nextHook(s: Schedule): HookInfo {
  if (isEmpty(s)) throw emptySourceError();
  if (s.changedPending !== '') {
    return { kind: 'relation-changed', relationId: s.relationId, remoteUnit: s.changedPending, changeVersion: pendingRecord(s).latest };
  }
  const head = s.head as UnitRecord; // non-empty and nothing owed: the queue has a head
  return { kind: KIND[head.scheduled as Exclude<ScheduledHook, 'none'>], relationId: s.relationId, remoteUnit: head.unit, changeVersion: head.latest };
}

/**
 * Applies one event in place and returns the schedule.
 * @throws ModelwatchError `HookSource is empty` for a pop with nothing to pop, NotValid
 *   `hook source watcher sent bad event: <dump>` for a first change with departures; both leave
 *   the schedule untouched.
 */
export function step(s: Schedule, e: ScheduleEvent): Schedule {
  switch (e.type) {
    case 'change':
      applyChange(s, e.change);
      return s;
    case 'pop':
      pop(s);
      return s;
  }
}

function applyChange(s: Schedule, change: RelationUnitsChange): void {
  if (!s.started) {
    if (change.departed.length > 0) {
      throw new ModelwatchError('NotValid', `hook source watcher sent bad event: ${JSON.stringify(change)}`);
    }
    // Units that left while the agent was down go first, in sorted order.
    // Differs from Juju: upstream departed them in map iteration order (random).
    const gone = [...s.units.keys()].filter((unit) => !Object.hasOwn(change.changed, unit)).sort();
    for (const unit of gone) departUnit(s, unit);
    s.started = true;
  }
  for (const unit of Object.keys(change.changed).sort()) {
    changeUnit(s, unit, (change.changed[unit] as { version: number }).version);
  }
  for (const unit of change.departed) departUnit(s, unit);
}

function changeUnit(s: Schedule, unit: string, version: number): void {
  const rec = s.units.get(unit);
  if (rec === undefined) {
    const fresh: UnitRecord = { unit, joined: false, delivered: undefined, latest: version, scheduled: 'none', prev: undefined, next: undefined };
    s.units.set(unit, fresh);
    enqueue(s, fresh, 'joined');
    return;
  }
  rec.latest = version;
  if (!rec.joined) return; // the queued joined will carry the newest version
  // Differs from Juju: compared with the last delivered version, so a repeated version never
  // drops an undelivered changed (upstream compared with the latest known one).
  if (version !== rec.delivered) {
    if (rec.scheduled === 'departed') rec.scheduled = 'changed'; // departure cancelled, slot kept
    else if (rec.scheduled === 'none') enqueue(s, rec, 'changed');
  } else if (rec.scheduled !== 'none') {
    unqueue(s, rec); // nothing owed; a scheduled departure is cancelled
  }
}

function departUnit(s: Schedule, unit: string): void {
  const rec = s.units.get(unit);
  if (rec === undefined) return; // Differs from Juju: a unit never seen is ignored, not a crash.
  if (!rec.joined) {
    // Differs from Juju: no stale record is kept, so a returning unit joins cleanly.
    unqueue(s, rec);
    s.units.delete(unit);
    return;
  }
  if (rec.scheduled === 'changed') rec.scheduled = 'departed';
  else if (rec.scheduled === 'none') enqueue(s, rec, 'departed');
}

function pop(s: Schedule): void {
  if (isEmpty(s)) throw emptySourceError();
  if (s.changedPending !== '') {
    const rec = pendingRecord(s);
    s.changedPending = '';
    rec.delivered = rec.latest;
    if (rec.scheduled === 'changed') unqueue(s, rec); // the owed changed carried the newest version
    return;
  }
  const head = s.head as UnitRecord;
  const kind = head.scheduled;
  unqueue(s, head);
  head.delivered = head.latest;
  if (kind === 'joined') {
    head.joined = true;
    s.changedPending = head.unit;
  } else if (kind === 'departed') {
    s.units.delete(head.unit);
  }
}

function pendingRecord(s: Schedule): UnitRecord {
  const rec = s.units.get(s.changedPending);
  if (rec === undefined) throw new ModelwatchError('Internal', `schedule invariant broken: no record for pending unit ${JSON.stringify(s.changedPending)}`);
  return rec;
}

function enqueue(s: Schedule, rec: UnitRecord, hook: Exclude<ScheduledHook, 'none'>): void {
  rec.scheduled = hook;
  rec.prev = s.tail;
  rec.next = undefined;
  if (s.tail === undefined) s.head = rec;
  else s.tail.next = rec;
  s.tail = rec;
}

function unqueue(s: Schedule, rec: UnitRecord): void {
  if (rec.scheduled === 'none') return;
  if (rec.prev === undefined) s.head = rec.next;
  else rec.prev.next = rec.next;
  if (rec.next === undefined) s.tail = rec.prev;
  else rec.next.prev = rec.prev;
  rec.prev = undefined;
  rec.next = undefined;
  rec.scheduled = 'none';
}
