import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyRead, decodeWindow, initialPresenceState } from './alive-rule.js';
import type { PresenceState } from './alive-rule.js';
import { fieldBit, fieldKey } from './sequence.js';

const beings = new Map([[1, 'm#0'], [2, 'm#0'], [3, 'm#1'], [4, 'm#2']]);
const read = (alive: number[], dead: number[] = []) => ({ aliveSeqs: alive, deadSeqs: new Set(dead), beings });

describe('alive rule', () => {
  it('a newer pinger that stops while an older one still pings causes no event', () => {
    const s1 = applyRead(initialPresenceState, read([1, 2]));
    expect(s1.transitions).toEqual([{ key: 'm#0', alive: true }]);
    expect(applyRead(s1.next, read([1])).transitions).toEqual([]);
  });

  it('a killed newest sequence makes the key dead even while an older one pings', () => {
    const s1 = applyRead(initialPresenceState, read([1, 2]));
    const s2 = applyRead(s1.next, read([1, 2], [2]));
    expect(s2.transitions).toEqual([{ key: 'm#0', alive: false }]);
    expect(applyRead(s2.next, read([1, 2], [2])).transitions).toEqual([]); // no re-report (fix 1)
    expect(applyRead(s2.next, read([1])).transitions).toEqual([{ key: 'm#0', alive: true }]);
  });

  it('a kill of a key that was never alive emits nothing; unowned seqs are ignored', () => {
    expect(applyRead(initialPresenceState, read([3], [3])).transitions).toEqual([]);
    expect(applyRead(initialPresenceState, read([99])).transitions).toEqual([]);
  });

  it('reports transitions in ascending key order', () => {
    const s = applyRead(initialPresenceState, read([4, 3, 1]));
    expect(s.transitions.map((t) => t.key)).toEqual(['m#0', 'm#1', 'm#2']);
  });

  it('decodes a window by ORing each field key over its rows', () => {
    const rows = [
      { slot: 60, fieldKey: fieldKey(2), alive: fieldBit(2), dead: 0n },
      { slot: 30, fieldKey: fieldKey(1), alive: fieldBit(1), dead: fieldBit(1) },
      { slot: 30, fieldKey: fieldKey(64), alive: fieldBit(64), dead: 0n },
    ];
    const w = decodeWindow(rows);
    expect([...w.aliveSeqs].sort((a, b) => a - b)).toEqual([1, 2, 64]);
    expect([...w.deadSeqs]).toEqual([1]);
  });

  it('property: alive iff the newest seq of the key is not dead; only changes are reported, sorted', () => {
    const arbRead = fc.record({ alive: fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { maxLength: 30 }), dead: fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { maxLength: 10 }) });
    fc.assert(fc.property(fc.array(arbRead, { minLength: 1, maxLength: 8 }), (reads) => {
      const keyOf = new Map<number, string>();
      for (let s = 1; s <= 36; s++) keyOf.set(s, `k${s % 7}`); // 37..40 are unowned
      let state: PresenceState = initialPresenceState;
      for (const r of reads) {
        const { next, transitions } = applyRead(state, { aliveSeqs: r.alive, deadSeqs: new Set(r.dead), beings: keyOf });
        for (const k of new Set(keyOf.values())) {
          const seqs = r.alive.filter((s) => keyOf.get(s) === k);
          const newest = seqs.length === 0 ? undefined : Math.max(...seqs);
          expect(next.alive.has(k)).toBe(newest !== undefined && !r.dead.includes(newest));
        }
        const changed = [...new Set([...state.alive, ...next.alive])].filter((k) => state.alive.has(k) !== next.alive.has(k)).sort();
        expect(transitions.map((t) => t.key)).toEqual(changed);
        for (const t of transitions) expect(t.alive).toBe(next.alive.has(t.key));
        expect(applyRead(next, { aliveSeqs: r.alive, deadSeqs: new Set(r.dead), beings: keyOf }).transitions).toEqual([]);
        state = next;
      }
    }));
  });
});
