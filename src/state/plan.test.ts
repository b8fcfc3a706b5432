// Property: for any sequence of transactions (updates, removes, model removals, in any mix), the
// store equals a reference model that applies ops one by one, and each revision logs exactly the
// entities whose value differs before and after it (nothing for a net no-op). On SQLite in memory.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ManualClock, entityKey, jsonEqual } from '../core/index.js';
import type { EntityInfo } from '../core/index.js';
import { openState } from './open-state.js';
import type { StateOp } from './state.js';

const models = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'];

const opArb: fc.Arbitrary<StateOp> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ m: fc.constantFrom(...models), kind: fc.constantFrom('machine', 'unit'), id: fc.constantFrom('0', '1', '2'), v: fc.constantFrom(0, 1, { a: [1] }, { a: [1], b: null }) })
    .map(({ m, kind, id, v }): StateOp => ({ op: 'update', entity: { kind, modelUUID: m, id, data: typeof v === 'number' ? { v } : { v, w: 'x' } } })) },
  { weight: 1, arbitrary: fc.constantFrom(...models).map((m): StateOp => ({ op: 'update', entity: { kind: 'model', modelUUID: m, id: m, data: {} } })) },
  { weight: 3, arbitrary: fc.record({ m: fc.constantFrom(...models), kind: fc.constantFrom('machine', 'unit'), id: fc.constantFrom('0', '1', '2') })
    .map(({ m, kind, id }): StateOp => ({ op: 'remove', id: { kind, modelUUID: m, id } })) },
  { weight: 1, arbitrary: fc.constantFrom(...models).map((m): StateOp => ({ op: 'remove', id: { kind: 'model', modelUUID: m, id: m } })) },
);

function applyReference(ref: Map<string, EntityInfo>, ops: readonly StateOp[]): void {
  for (const op of ops) {
    if (op.op === 'update') ref.set(entityKey(op.entity), op.entity);
    else if (op.id.kind === 'model') {
      for (const [k, e] of ref) if (e.modelUUID === op.id.modelUUID) ref.delete(k);
    } else ref.delete(entityKey(op.id));
  }
}

it('any transaction sequence matches the one-op-at-a-time reference, logging exactly the net changes', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(opArb, { maxLength: 6 }), { maxLength: 12 }), async (txns) => {
      const state = await openState('sqlite::memory:', { clock: new ManualClock(0) });
      const ref = new Map<string, EntityInfo>();
      let rev = 0;
      try {
        for (const ops of txns) {
          const before = new Map(ref);
          applyReference(ref, ops);
          const changedKeys = [...new Set([...before.keys(), ...ref.keys()])]
            .filter((k) => !(before.has(k) && ref.has(k) && jsonEqual(before.get(k)!.data, ref.get(k)!.data))).sort();
          const got = await state.apply(ops);
          expect(got).toBe(changedKeys.length > 0 ? rev + 1 : rev);
          const logged = await state.changesSince(rev);
          expect(logged.map((c) => entityKey(c)).sort()).toEqual(changedKeys);
          for (const c of logged) expect(c.removed).toBe(!ref.has(entityKey(c)));
          rev = got;
          const listed = await state.list();
          expect(listed.length).toBe(ref.size);
          for (const e of listed) expect(jsonEqual(e.data, ref.get(entityKey(e))?.data)).toBe(true);
        }
      } finally {
        await state.close();
      }
    }),
    { numRuns: 150 },
  );
});
