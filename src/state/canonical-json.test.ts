// Canonical JSON: equal texts iff deep-equal data, the serialised size of JSON.stringify, and a
// one-pass check that never lets through what core's validation refuses (apply then reports core's
// exact error).
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ModelwatchError, jsonEqual, validateEntityInfo } from '../core/index.js';
import { canonicalJson, checkedCanonicalJson } from './canonical-json.js';
import { planOps } from './plan.js';

const M = '00000000-0000-4000-8000-000000000001';
const dataArb = fc.dictionary(fc.string(), fc.jsonValue()) as fc.Arbitrary<Record<string, unknown>>;

/** The same data with every object's keys in another order. */
function reordered(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(reordered);
  return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reordered(x)]));
}

it('texts are equal exactly when the data are deep-equal, and as long as JSON.stringify', () => {
  fc.assert(
    fc.property(dataArb, dataArb, (a, b) => {
      const ta = checkedCanonicalJson(a);
      expect(ta).toBeDefined();
      expect(ta?.length).toBe(JSON.stringify(a).length);
      expect(jsonEqual(JSON.parse(ta as string), a)).toBe(true);
      expect(checkedCanonicalJson(reordered(a))).toBe(ta);
      expect(checkedCanonicalJson(b) === ta).toBe(jsonEqual(a, b));
    }),
    { numRuns: 300 },
  );
});

it('undefined-valued keys are dropped and undefined array items are null, as in JSON', () => {
  expect(checkedCanonicalJson({ b: [undefined, 1], a: undefined, c: 'x"\u0001\ud800' })).toBe(JSON.stringify({ b: [null, 1], c: 'x"\u0001\ud800' }));
});

it('whatever core refuses, apply refuses with core\'s message', () => {
  class Box {}
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = { back: cyclic };
  const bad: unknown[] = [NaN, Infinity, () => 1, new Box(), new Map(), new Date(0), Symbol('s'), 10n, cyclic];
  fc.assert(
    fc.property(dataArb, fc.constantFrom(...bad), fc.string(), fc.boolean(), (data, poison, key, inArray) => {
      const withPoison = { ...data, [key]: inArray ? [1, poison] : { nested: poison } };
      const entity = { kind: 'machine', modelUUID: M, id: 'x', data: withPoison };
      let expected: unknown;
      try {
        validateEntityInfo(entity, 'ops[0].entity');
      } catch (err) {
        expected = err;
      }
      expect(expected).toBeInstanceOf(ModelwatchError);
      expect(() => planOps([{ op: 'update', entity }])).toThrow((expected as Error).message);
    }),
    { numRuns: 200 },
  );
});

it('data nested deeper than the one-pass limit is still valid and canonical', () => {
  let deep: Record<string, unknown> = { z: 1, a: [true] };
  for (let i = 0; i < 300; i++) deep = { y: deep, b: i };
  expect(checkedCanonicalJson(deep)).toBeUndefined();
  const [set] = planOps([{ op: 'update', entity: { kind: 'machine', modelUUID: M, id: 'x', data: deep } }]).sets;
  expect(set?.data).toBe(canonicalJson(deep));
  expect(jsonEqual(JSON.parse(set?.data ?? 'null'), deep)).toBe(true);
  expect(set?.data.startsWith('{"b":299,"y":{"b":298,')).toBe(true);
});
